#!/usr/bin/env bash
# The wake-word test set (data/wakeword/, git-ignored): espeak-ng speech at 16 kHz, 16-bit mono.
#  - positives: 1 s of silence, "Alexa", a short pause, a request, 0.6 s of silence; 6 voices x
#    2 speeds x 2 pitches; each clean and mixed with pink noise at 20 dB and 10 dB SNR.
#  - negatives: speech without the wake word, including near words ("Alexander", "election",
#    "a lexicon"); 4 voices; clean and at 20 dB SNR.
# labels.tsv lists every file: name, kind (pos/neg), wake-word start and end (16 kHz samples,
# -1 for negatives), length in samples. Deterministic (sox -R) and idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=data/wakeword
mkdir -p "$OUT"
[ -s "$OUT/labels.tsv" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

SOX="sox -R -q"
# say OUT.wav VOICE SPEED PITCH TEXT -> trimmed 16 kHz mono S16
say() {
  local out=$1 voice=$2 speed=$3 pitch=$4 text=$5
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$work/raw.wav" "$text"
  $SOX "$work/raw.wav" -r 16000 -c 1 -b 16 -e signed-integer "$out" \
    silence 1 0.005 0.3% reverse silence 1 0.005 0.3% reverse gain -n -6
}
silence() { $SOX -n -r 16000 -c 1 -b 16 "$1" trim 0 "$2"; }
samples() { soxi -s "$1"; }
rms() { sox "$1" -n stat 2>&1 | awk '/RMS +amplitude/ {print $3}'; }
# mix SPEECH.wav SPEECH_ONLY.wav SNR_DB OUT.wav: pink noise scaled to SNR against the speech.
mix() {
  local in=$1 ref=$2 snr=$3 out=$4
  local n; n=$(samples "$in")
  $SOX -n -r 16000 -c 1 -b 16 "$work/noise.wav" synth "${n}s" pinknoise
  local s_rms n_rms gain
  s_rms=$(rms "$ref"); n_rms=$(rms "$work/noise.wav")
  gain=$(awk -v s="$s_rms" -v n="$n_rms" -v snr="$snr" 'BEGIN { printf "%.6f", s / n / exp(snr / 20 * log(10)) }')
  $SOX -m -v 1 "$in" -v "$gain" "$work/noise.wav" -b 16 "$out"
}

silence "$work/lead.wav" 1.0
silence "$work/gap.wav" 0.12
silence "$work/tail.wav" 0.6
silence "$work/neg-lead.wav" 0.5

VOICES=(en-us en-gb en-us+f3 en-gb-x-rp+m3 en-029+f2 en-us+m7)
SPEEDS=(165 190)
PITCHES=(40 70)
REQUESTS=("what time is it" "play some music" "what is the weather like today"
          "set a timer for ten minutes" "turn off the lights" "tell me a joke")
NEGATIVES=("Alexander the Great was a king of Macedonia"
           "the election results came in late last night"
           "let me look that word up in a lexicon"
           "Alex said the texture of the bread was perfect"
           "please call my sister when you get home"
           "a lexical analysis of the sentence is easy"
           "the next train leaves at seven thirty"
           "I bought eggs, milk and a loaf of bread"
           "Alexandra and Alexis went to the election party"
           "can you tell me the way to the station"
           "electric cars are getting cheaper every year"
           "she read an excerpt from the text aloud")
NEG_VOICES=(en-us en-gb+f3 en-029 en-us+m3)

labels="$work/labels.tsv"
: > "$labels"
i=0
for voice in "${VOICES[@]}"; do
  for speed in "${SPEEDS[@]}"; do
    for pitch in "${PITCHES[@]}"; do
      req=${REQUESTS[$((i % ${#REQUESTS[@]}))]}
      i=$((i + 1))
      name="pos-$(echo "$voice" | tr '+' '_')-s$speed-p$pitch"
      say "$work/wake.wav" "$voice" "$speed" "$pitch" "Alexa"
      say "$work/req.wav" "$voice" "$speed" "$pitch" "$req"
      $SOX "$work/lead.wav" "$work/wake.wav" "$work/gap.wav" "$work/req.wav" "$work/tail.wav" "$work/clean.wav"
      $SOX "$work/wake.wav" "$work/gap.wav" "$work/req.wav" "$work/speech.wav"
      start=$(samples "$work/lead.wav")
      end=$((start + $(samples "$work/wake.wav")))
      len=$(samples "$work/clean.wav")
      cp "$work/clean.wav" "$OUT/$name-clean.wav"
      mix "$work/clean.wav" "$work/speech.wav" 20 "$OUT/$name-snr20.wav"
      mix "$work/clean.wav" "$work/speech.wav" 10 "$OUT/$name-snr10.wav"
      for c in clean snr20 snr10; do
        printf '%s\tpos\t%d\t%d\t%d\n' "$name-$c.wav" "$start" "$end" "$len" >> "$labels"
      done
    done
  done
done
j=0
for text in "${NEGATIVES[@]}"; do
  for voice in "${NEG_VOICES[@]}"; do
    name="neg-$(printf '%02d' $j)-$(echo "$voice" | tr '+' '_')"
    say "$work/s.wav" "$voice" 160 50 "$text"
    $SOX "$work/neg-lead.wav" "$work/s.wav" "$work/tail.wav" "$work/clean.wav"
    len=$(samples "$work/clean.wav")
    cp "$work/clean.wav" "$OUT/$name-clean.wav"
    mix "$work/clean.wav" "$work/s.wav" 20 "$OUT/$name-snr20.wav"
    for c in clean snr20; do
      printf '%s\tneg\t-1\t-1\t%d\n' "$name-$c.wav" "$len" >> "$labels"
    done
  done
  j=$((j + 1))
done
mv "$labels" "$OUT/labels.tsv"
echo "wake-word test set: $(wc -l < "$OUT/labels.tsv") files in $OUT/"
