#!/usr/bin/env bash
# The engine's main job on the built-in default (config/default.toml), on a machine without a
# sound card or Bluetooth adapter: the engine captures the generated demo clip ("Alexa, what
# time is it?") through ALSA's file plugin in real time, wakes on "Alexa", and streams the
# utterance over the AMA link (TCP on loopback) to the phone-side tool (`ama-phone`, a
# development binary of tools/phone), which answers as the Alexa app does and saves what it
# receives in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/gen-test-audio.sh >/dev/null
export ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$PWD/scripts/alsa/ama-test.conf"
bin=./target/release/ama-engine
phone=./target/release/ama-phone
rm -rf out/demo
mkdir -p out/demo

# The phone keeps trying to connect until the engine listens, takes one utterance, endpoints
# it after 3 s of speech, and exits.
$phone tcp://127.0.0.1:47700 --utterances 1 --endpoint-after 3 --max-seconds 30 \
  --out out/demo </dev/null &
phone_pid=$!
$bin run --config config/default.toml --out out/demo
wait "$phone_pid"
echo
echo "The phone received:"
ls -l out/demo/
