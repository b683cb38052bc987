#!/usr/bin/env bash
# The echo-cancellation test set (data/aec/, git-ignored), all 48 kHz mono S16, made with sox and
# espeak-ng (nothing is downloaded). Deterministic (sox -R, seeded awk) and idempotent.
#
# What a speaker board hears while it plays music: the played signal (the reference) goes through
# a bulk delay and a synthetic room impulse response (a direct path plus exponentially decaying
# noise, RT60 150-400 ms) to the microphone, where a near-end talker (a wake-word take from
# data/wakeword/: "Alexa" and a request) and pink noise (30 dB below the speech) are added.
#  - programmes: "pop" (plucked chords, bass, drum-like kick/snare/hat noise bursts) and "talk"
#    (espeak-ng radio talk with near-miss words: "Alexander", "election", ..., over a quiet
#    chord bed).
#  - echo-to-speech ratio (ESR) at the microphone: 0, +10, +20 dB (echo power over the whole file
#    against the active speech power of the take).
#  - timeline: 7 s of echo only (convergence), the take (speech starts at 8 s: double talk),
#    echo only again until the end.
#  - reference modes: "channel" (sample-synchronous loopback, delay 10-250 ms) and "device" (a
#    second capture device: delay 180-230 ms and a clock drift of +-100 ppm, the reference being
#    the played signal resampled by 1 + ppm * 1e-6; 20 s long).
# Per case NAME: NAME-mic.wav (what the canceller gets as microphone), NAME-ref.wav (the
# reference), NAME-near.wav (the clean near-end speech alone, aligned with the mic: the scoring
# target). cases.tsv: name, mode, programme, esr_db, delay_ms, rt60_ms, drift_ppm, speech_start,
# speech_end (48 kHz samples in the mic file), length (samples), snr_db (speech to pink noise).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=data/aec
[ -s "$OUT/cases.tsv" ] && exit 0
# The near-end takes come from the wake-word set (idempotent; runs only if missing).
[ -s data/wakeword/labels.tsv ] || bash scripts/gen-test-audio.d/wakeword.sh
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

RATE=48000
SOX="sox -R -V1"  # -V1: failures only (pad before trim warns about pads it never reached)
F32=(-e floating-point -b 32)
SNR_DB=30
rms() { sox "$1" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}'; }
samples() { soxi -s "$1"; }

# --- programme material -------------------------------------------------------------------
# chord NAME.wav DUR NOTES... (semitones from A4): plucked voices summed to mono
chord() {
  local out=$1 dur=$2; shift 2
  local spec=()
  for n in "$@"; do spec+=(pluck "%$n"); done
  $SOX -r $RATE -c $# -n "${F32[@]}" "$out" synth "$dur" "${spec[@]}" remix - gain -n -12
}
# A 16-chord progression (0.5 s each, 8 s), I-V-vi-IV in two voicings, with a bass note.
progression() {
  local out=$1 i=0 parts=()
  local chords=("-9 -5 -2 -21" "-2 2 5 -14" "0 3 7 -12" "-4 0 3 -16"
                "-9 -5 -2 -33" "-2 2 5 -26" "0 3 7 -24" "-4 0 3 -28")
  for rep in 1 2; do
    for c in "${chords[@]}"; do
      # shellcheck disable=SC2086
      chord "$work/ch$i.wav" 0.5 $c
      parts+=("$work/ch$i.wav")
      i=$((i + 1))
    done
  done
  $SOX "${parts[@]}" "$out"
}
# One bar of drums at 120 bpm (8 eighths of 0.25 s): kick (swept sine), snare and hat (noise).
drums() {
  local out=$1
  $SOX -r $RATE -c 1 -n "${F32[@]}" "$work/k.wav" synth 0.25 sine 110-40 fade 0 0.25 0.2 gain -3
  $SOX -r $RATE -c 1 -n "${F32[@]}" "$work/s.wav" synth 0.25 whitenoise highpass 900 fade 0 0.25 0.22 gain -9
  $SOX -r $RATE -c 1 -n "${F32[@]}" "$work/h.wav" synth 0.25 whitenoise highpass 6000 fade 0 0.05 0.04 gain -15
  local w=$work
  $SOX "$w/k.wav" "$w/h.wav" "$w/s.wav" "$w/h.wav" "$w/k.wav" "$w/k.wav" "$w/s.wav" "$w/h.wav" "$out"
}
# programme OUT.wav KIND SECONDS -> normalised to -6 dBFS peak
programme() {
  local out=$1 kind=$2 secs=$3
  case $kind in
    pop)
      $SOX "$work/prog.wav" "$work/prog-pop.wav" repeat 3
      $SOX "$work/bar.wav" "$work/bar-pop.wav" repeat 15
      $SOX -m "$work/prog-pop.wav" -v 0.8 "$work/bar-pop.wav" "${F32[@]}" "$work/mix.wav"
      ;;
    talk)
      $SOX "$work/prog.wav" "$work/prog-talk.wav" repeat 3
      $SOX "$work/radio.wav" "$work/radio-long.wav" repeat 2
      $SOX -m "$work/radio-long.wav" -v 0.12 "$work/prog-talk.wav" "${F32[@]}" "$work/mix.wav"
      ;;
  esac
  $SOX "$work/mix.wav" "${F32[@]}" "$out" trim 0 "$secs" gain -n -6
}

progression "$work/prog.wav"
drums "$work/bar.wav"
espeak-ng -v en-us+m3 -s 175 -p 45 -w "$work/radio-raw.wav" \
  "Good evening, this is the six o'clock news. Alexander Petrov won the regional election \
   by a narrow margin, and the election commission will publish the final count tomorrow. \
   In sports, Alexandra Lexington scored twice. A lexicon of new words was presented at the \
   library. Next up, the weather: a lexical storm of sunshine, and an excellent weekend ahead."
$SOX "$work/radio-raw.wav" -r $RATE -c 1 "${F32[@]}" "$work/radio.wav" gain -n -3

# --- room -----------------------------------------------------------------------------------
# The synthetic room: rir() in room.bash.
source scripts/gen-test-audio.d/room.bash  # cwd: the repository (above)

# --- near-end takes -------------------------------------------------------------------------
mapfile -t TAKES < <(awk -F'\t' '$2 == "pos" && $1 ~ /-clean\.wav$/ {print $1 "\t" $3 "\t" $5}' \
  data/wakeword/labels.tsv)

# make NAME MODE KIND ESR DELAY_MS RT60_MS PPM SECONDS TAKE_INDEX
HEAD_S=7
cases="$work/cases.tsv"
: > "$cases"
make() {
  local name=$1 mode=$2 kind=$3 esr=$4 delay=$5 rt60=$6 ppm=$7 secs=$8 take=$9
  IFS=$'\t' read -r tfile tstart tlen <<< "${TAKES[$take]}"
  # the take at 48 kHz (its own 1 s of silence first, so speech starts at HEAD_S + 1 s), 20 dB
  # down: the talker is far, the loudspeaker is next to the microphone, and +20 dB ESR must
  # not clip.
  $SOX "data/wakeword/$tfile" -r $RATE "${F32[@]}" "$work/take.wav" vol 0.1
  local lead_s=$HEAD_S
  local speech_start=$(( (lead_s * RATE) + tstart * 3 ))
  local speech_end=$(( (lead_s * RATE) + (tlen * 3) - (RATE * 6 / 10) ))
  local total=$((secs * RATE))
  $SOX "$work/take.wav" "${F32[@]}" "$work/near.wav" pad "$lead_s" "$secs" trim 0 "${total}s"
  # active speech power of the take (wake word to end of request)
  $SOX "$work/near.wav" "$work/speech-only.wav" trim "${speech_start}s" "=${speech_end}s"
  local s_rms; s_rms=$(rms "$work/speech-only.wav")

  # the played signal, 1 s longer than needed (the delay eats into it)
  programme "$work/played.wav" "$kind" $((secs + 1))
  rir "$work/rir.txt" $RATE "$rt60" "$((rt60 + delay))"
  # echo = played through the room, delayed; scaled to ESR against the speech
  $SOX "$work/played.wav" "${F32[@]}" "$work/echo-raw.wav" vol 0.1 fir "$work/rir.txt" \
    pad "$(awk -v d="$delay" 'BEGIN { printf "%.4f", d / 1000 }')" trim 0 "${total}s"
  local e_rms gain_e; e_rms=$(rms "$work/echo-raw.wav")
  gain_e=$(awk -v e="$e_rms" -v s="$s_rms" -v esr="$esr" 'BEGIN { printf "%.6f", s / e * exp(esr / 20 * log(10)) }')
  # pink noise SNR_DB below the speech
  $SOX -r $RATE -c 1 -n "${F32[@]}" "$work/noise.wav" synth "${total}s" pinknoise
  local n_rms gain_n; n_rms=$(rms "$work/noise.wav")
  gain_n=$(awk -v n="$n_rms" -v s="$s_rms" -v snr=$SNR_DB 'BEGIN { printf "%.6f", s / n / exp(snr / 20 * log(10)) }')
  $SOX -m -v 1 "$work/near.wav" -v "$gain_e" "$work/echo-raw.wav" -v "$gain_n" "$work/noise.wav" \
    "${F32[@]}" "$work/mic.wav"
  # the reference as the canceller receives it
  if [ "$mode" = device ]; then
    # another clock: the played signal resampled by (1 + ppm 1e-6), back to the nominal rate
    local factor; factor=$(awk -v p="$ppm" 'BEGIN { printf "%.9f", 1 + p * 1e-6 }')
    $SOX "$work/played.wav" "${F32[@]}" "$work/ref.wav" speed "$factor" rate -v $RATE trim 0 "${total}s"
  else
    $SOX "$work/played.wav" "${F32[@]}" "$work/ref.wav" trim 0 "${total}s"
  fi
  local peak; peak=$(sox "$work/mic.wav" -n stat 2>&1 | awk '/Maximum amplitude/ {print $3}')
  awk -v p="$peak" -v n="$name" 'BEGIN { if (p >= 1.0) { print "aec.sh: " n " clips (" p ")" > "/dev/stderr"; exit 1 } }'
  $SOX "$work/mic.wav" -b 16 -e signed-integer "$OUT/$name-mic.wav"
  $SOX "$work/ref.wav" -b 16 -e signed-integer "$OUT/$name-ref.wav"
  $SOX "$work/near.wav" -b 16 -e signed-integer "$OUT/$name-near.wav"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n' "$name" "$mode" "$kind" "$esr" "$delay" \
    "$rt60" "$ppm" "$speech_start" "$speech_end" "$total" "$SNR_DB" >> "$cases"
}

#    name                     mode    kind esr delay rt60 ppm secs take
make ch-pop-esr0-d10          channel pop  0   10    250  0   14   0
make ch-pop-esr10-d10         channel pop  10  10    250  0   14   4
make ch-pop-esr20-d10         channel pop  20  10    250  0   14   8
make ch-talk-esr10-d60        channel talk 10  60    400  0   14   12
make ch-pop-esr10-d120        channel pop  10  120   150  0   14   16
make ch-talk-esr20-d250       channel talk 20  250   300  0   14   20
make dev-pop-esr10-d180-p100  device  pop  10  180   250  100 20   2
make dev-talk-esr10-d230-m100 device  talk 10  230   300  -100 20 6

printf 'name\tmode\tprogramme\tesr_db\tdelay_ms\trt60_ms\tdrift_ppm\tspeech_start\tspeech_end\tlength\tsnr_db\n' > "$OUT/cases.tsv"
cat "$cases" >> "$OUT/cases.tsv"
echo "echo-cancellation test set: $(wc -l < "$cases") cases in $OUT/"
