#!/usr/bin/env bash
# Noisy speech for the peer comparison (scripts/compare-peers.sh): espeak-ng sentences repeated
# to SECONDS (default 60), mixed with white noise 5 dB below the speech, 48 kHz mono S16.
# Usage: noisy-speech.sh [SECONDS]  -> data/noisy-speech-<SECONDS>s-48k.wav. Deterministic
# (sox -R: the same noise on every run). Idempotent: an existing file is kept.
set -euo pipefail
cd "$(dirname "$0")/../../data"

secs=${1:-60}
out="noisy-speech-${secs}s-48k.wav"
[ -s "$out" ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 150 -p 50 -w "$tmp/s.wav" \
  "Alexa, what is the weather like in Seattle today? Set a timer for ten minutes and play \
some jazz in the kitchen. How far is it from Berlin to Paris by train? Remind me to call \
my sister tomorrow at six in the evening, and add milk, eggs and bread to the shopping list."
sox -q "$tmp/s.wav" -r 48000 -c 1 -b 16 "$tmp/s48.wav" gain -n -6 pad 0 0.5
# Repeat the passage until it covers SECONDS, then cut to exactly SECONDS.
len=$(soxi -D "$tmp/s48.wav")
reps=$(awk -v s="$secs" -v l="$len" 'BEGIN { r = int(s / l); print (r < 1 ? 0 : r) }')
sox -q "$tmp/s48.wav" "$tmp/long.wav" repeat "$reps" trim 0 "$secs"
# Noise 5 dB below the speech's RMS (speech at -6 dBFS peak, noise scaled from its RMS).
rms=$(sox "$tmp/long.wav" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
sox -q -R -n -r 48000 -c 1 -b 16 "$tmp/noise.wav" synth "$secs" whitenoise
nrms=$(sox "$tmp/noise.wav" -n stat 2>&1 | awk '/RMS +amplitude/ { print $3 }')
vol=$(awk -v s="$rms" -v n="$nrms" 'BEGIN { printf "%.6f", s / n * 10 ^ (-5 / 20) }')
sox -q -m "$tmp/long.wav" -v "$vol" "$tmp/noise.wav" -b 16 "$out.tmp.wav"
mv "$out.tmp.wav" "$out"
echo "noisy speech: data/$out"
