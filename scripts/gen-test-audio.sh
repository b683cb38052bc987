#!/usr/bin/env bash
# Generates the test and demo audio with espeak-ng and sox (nothing is downloaded).
# Output in data/ (ignored by git). Idempotent: existing files are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
cd data

speak() { # speak OUT.wav VOICE SPEED PITCH TEXT...  -> 48 kHz mono S16 WAV
  local out=$1 voice=$2 speed=$3 pitch=$4; shift 4
  [ -s "$out" ] && return 0
  espeak-ng -v "$voice" -s "$speed" -p "$pitch" -w "$out.tmp.wav" "$*"
  sox -q "$out.tmp.wav" -r 48000 -c 1 -b 16 -e signed-integer "$out" gain -n -3
  rm -f "$out.tmp.wav"
}

# A clean utterance for the codec and denoise tests.
speak speech-48k.wav en-us 150 50 "Alexa, what is the weather like in Seattle today?"
# The demo clip: one second of silence, the wake word and a request, two seconds of silence.
if [ ! -s demo-48k.wav ]; then
  speak demo-speech.wav en-us 140 50 "Alexa, what time is it?"
  sox -q -n -r 48000 -c 1 -b 16 pad1.wav trim 0 1.0
  sox -q -n -r 48000 -c 1 -b 16 pad2.wav trim 0 2.0
  sox -q pad1.wav demo-speech.wav pad2.wav demo-48k.wav
  rm -f pad1.wav pad2.wav demo-speech.wav
fi
# Raw copies for ALSA's file plugin.
for w in speech-48k demo-48k; do
  [ -s "$w.raw" ] || sox -q "$w.wav" -t raw -r 48000 -c 1 -b 16 -e signed-integer "$w.raw"
done
# A 16 kHz version to exercise the 16 kHz input path.
[ -s speech-16k.wav ] || sox -q speech-48k.wav -r 16000 speech-16k.wav

# Optional generators registered by other parts (wake-word test set, ...).
cd ..
for extra in scripts/gen-test-audio.d/*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra"
done
echo "test audio in data/"
