#!/usr/bin/env bash
# Ten minutes of what a speaker board plays and hears, for false wakes with music (issue 9):
# data/aec-long/, 16 kHz mono S16 (the wake-word band; what the 16 kHz canceller works on),
# made with sox and espeak-ng (nothing is downloaded). Deterministic (sox -R, seeded awk) and
# idempotent.
#  - programme.wav: the played signal (the reference), 600 s: alternating minutes of pop (plucked
#    chords and bass in four keys and three tempos, kick/snare/hat noise bursts) and radio talk
#    (espeak-ng news, ads and a DJ in four voices, over a chord bed or the music itself), full of
#    near misses of the wake word: "Alexander", "Alexandra", "Alexis", "Alex", "election",
#    "a lexicon", "Alaska", "Electra", "Alexei", "unelected", "relax a" ...; never "Alexa".
#  - echo.wav: what the microphone hears of it: the programme through a bulk delay (60 ms) and a
#    synthetic room (a direct path plus exponentially decaying noise, RT60 200 ms, as in aec.sh),
#    at -24 dBFS RMS, plus pink noise 45 dB below. No near-end talker.
#  - noise.wav: that pink noise alone (-69 dBFS RMS): the microphone's own noise floor, what it
#    hears when nothing plays (a real microphone never delivers digital silence).
# Used by tests/engine/aec_wakeword.rs (false wakes in 10 minutes with and without the canceller;
# a stretch of it is the music under the recall takes).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=data/aec-long
[ -s "$OUT/echo.wav" ] && [ -s "$OUT/programme.wav" ] && [ -s "$OUT/noise.wav" ] && exit 0
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

RATE=16000
SYNTH=48000  # sox's pluck needs 44.1-48 kHz: songs are made at 48 kHz, then resampled
SECONDS_TOTAL=600
DELAY_S=0.060
RT60_MS=200
SOX="sox -R -V1"
F32=(-e floating-point -b 32)

# chord OUT DUR TRANSPOSE NOTES... (semitones from A4): plucked voices summed to mono
chord() {
  local out=$1 dur=$2 tr=$3; shift 3
  local spec=()
  for n in "$@"; do spec+=(pluck "%$((n + tr))"); done
  $SOX -r $SYNTH -c $# -n "${F32[@]}" "$out" synth "$dur" "${spec[@]}" remix - gain -n -12
}
# progression OUT TRANSPOSE CHORD_S: I-V-vi-IV in two voicings with a bass note, 16 chords
progression() {
  local out=$1 tr=$2 dur=$3 i=0 parts=()
  local chords=("-9 -5 -2 -21" "-2 2 5 -14" "0 3 7 -12" "-4 0 3 -16"
                "-9 -5 -2 -33" "-2 2 5 -26" "0 3 7 -24" "-4 0 3 -28")
  for rep in 1 2; do
    for c in "${chords[@]}"; do
      # shellcheck disable=SC2086
      chord "$work/c$i.wav" "$dur" "$tr" $c
      parts+=("$work/c$i.wav")
      i=$((i + 1))
    done
  done
  $SOX "${parts[@]}" "$out"
}
# drums OUT EIGHTH_S: one bar of kick (swept sine), snare and hat (noise)
drums() {
  local out=$1 e=$2
  $SOX -r $SYNTH -c 1 -n "${F32[@]}" "$work/k.wav" synth "$e" sine 110-40 fade 0 "$e" 0.2 gain -3
  $SOX -r $SYNTH -c 1 -n "${F32[@]}" "$work/s.wav" synth "$e" whitenoise highpass 900 fade 0 "$e" 0.2 gain -9
  $SOX -r $SYNTH -c 1 -n "${F32[@]}" "$work/h.wav" synth "$e" whitenoise highpass 5000 fade 0 0.05 0.04 gain -15
  local w=$work
  $SOX "$w/k.wav" "$w/h.wav" "$w/s.wav" "$w/h.wav" "$w/k.wav" "$w/k.wav" "$w/s.wav" "$w/h.wav" "$out"
}
# song OUT TRANSPOSE CHORD_S SECONDS: progression and drums (eighths of CHORD_S / 2), looped
song() {
  local out=$1 tr=$2 dur=$3 secs=$4
  progression "$work/prog.wav" "$tr" "$dur"
  drums "$work/bar.wav" "$(awk -v d="$dur" 'BEGIN { printf "%.4f", d / 2 }')"
  $SOX "$work/prog.wav" "$work/prog-l.wav" repeat 12
  $SOX "$work/bar.wav" "$work/bar-l.wav" repeat 60
  $SOX -m "$work/prog-l.wav" -v 0.8 "$work/bar-l.wav" "${F32[@]}" "$out" trim 0 "$secs" \
    rate $RATE gain -n -6
}
# talk OUT VOICE SPEED PITCH TEXT: espeak-ng at 16 kHz, -3 dBFS peak
talk() {
  local out=$1 voice=$2 speed=$3 pitch=$4 text=$5
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$work/raw.wav" "$text"
  $SOX "$work/raw.wav" -r $RATE -c 1 "${F32[@]}" "$out" gain -n -3
}
# radio OUT BED SECONDS: talk (looped) over a bed (a song at -18 dB), both as given
radio() {
  local out=$1 speech=$2 bed=$3 secs=$4
  $SOX "$speech" "$work/sp-l.wav" repeat 4
  $SOX -m "$work/sp-l.wav" -v 0.12 "$bed" "${F32[@]}" "$out" trim 0 "$secs" gain -n -6
}

NEWS="Good evening, this is the six o'clock news. Alexander Petrov won the regional election \
by a narrow margin, and the election commission will publish the final count tomorrow. The \
unelected council of Alaska met in Alexandria to relax a rule on fishing. In sports, Alexandra \
Lexington scored twice and Alex Ferguson's old club lost again. A lexicon of new words was \
presented at the library. Next up, the weather: a lexical storm of sunshine, and an excellent \
weekend ahead."
ADS="Tired of slow internet? Electra Fiber brings you speeds you never expected. Call Alexis \
today, and ask about our selection of plans. Relax, a technician will come to you. Electra \
Fiber, the electric choice. And now a word from Lexus: the new sedan, elegant, electric, \
exceptional. Visit your dealer in Alexandria before the end of the month."
DJ="You are listening to the morning show with Alexei and me. That was a classic, and next we \
have a new track from Alexandra and the Lexicons, straight out of Alaska. Text us your \
requests, and remember, after the election coverage at nine we are giving away tickets. Alex, \
what is next? A selection of the best songs of the summer, relax and enjoy."
INTERVIEW="Our guest today wrote a book about the history of the lexicon. She says that \
elections, selections and collections all share a root. Alexander the Great appears in \
chapter two, and Alexandria's library in chapter three. Is it true, Alexis asks, that an \
electorate can be relaxed about it? Excellent question. Let us take a short break."

# The programme: ten minutes, one part per minute.
talk "$work/t-news.wav" en-us+m3 175 45 "$NEWS"
talk "$work/t-ads.wav" en-us+f2 190 60 "$ADS"
talk "$work/t-dj.wav" en-gb+m1 165 40 "$DJ"
talk "$work/t-int.wav" en-us+f4 160 55 "$INTERVIEW"
song "$work/s0.wav" 0 0.5 60
song "$work/s1.wav" 3 0.42 60
song "$work/s2.wav" -2 0.6 60
song "$work/s3.wav" 5 0.5 60
song "$work/s4.wav" -5 0.45 60
radio "$work/r0.wav" "$work/t-news.wav" "$work/s1.wav" 60
radio "$work/r1.wav" "$work/t-ads.wav" "$work/s2.wav" 60
# the DJ over the music itself (louder bed)
$SOX "$work/t-dj.wav" "$work/dj-l.wav" repeat 3
$SOX -m "$work/dj-l.wav" -v 0.35 "$work/s3.wav" "${F32[@]}" "$work/r2.wav" trim 0 60 gain -n -6
radio "$work/r3.wav" "$work/t-int.wav" "$work/s4.wav" 60
radio "$work/r4.wav" "$work/t-news.wav" "$work/s0.wav" 60
$SOX "$work/s0.wav" "$work/r0.wav" "$work/s2.wav" "$work/r1.wav" "$work/s3.wav" "$work/r2.wav" \
  "$work/s1.wav" "$work/r3.wav" "$work/s4.wav" "$work/r4.wav" "${F32[@]}" "$work/programme.wav" \
  trim 0 $SECONDS_TOTAL

# The room: the same kind as aec.sh's, at 16 kHz (room.bash).
source scripts/gen-test-audio.d/room.bash  # cwd: the repository (above)
rir "$work/rir.txt" $RATE $RT60_MS 11
total=$((SECONDS_TOTAL * RATE))
$SOX "$work/programme.wav" "${F32[@]}" "$work/echo-raw.wav" fir "$work/rir.txt" pad "$DELAY_S" \
  trim 0 "${total}s" gain -n
rms() { sox "$1" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}'; }
e_rms=$(rms "$work/echo-raw.wav")
gain_e=$(awk -v e="$e_rms" 'BEGIN { printf "%.6f", exp(-24 / 20 * log(10)) / e }')
$SOX -r $RATE -c 1 -n "${F32[@]}" "$work/noise.wav" synth "${total}s" pinknoise
n_rms=$(rms "$work/noise.wav")
gain_n=$(awk -v n="$n_rms" 'BEGIN { printf "%.6f", exp(-69 / 20 * log(10)) / n }')
$SOX -m -v "$gain_e" "$work/echo-raw.wav" -v "$gain_n" "$work/noise.wav" -b 16 \
  -e signed-integer "$OUT/echo.wav"
$SOX -v "$gain_n" "$work/noise.wav" -b 16 -e signed-integer "$OUT/noise.wav"
$SOX "$work/programme.wav" -b 16 -e signed-integer "$OUT/programme.wav" trim 0 "${total}s"
echo "ten minutes of music and radio talk in $OUT/"
