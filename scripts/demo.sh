#!/usr/bin/env bash
# The engine's main job on the built-in default (config/default.toml), on a machine without a
# sound card: capture the generated demo clip through ALSA's file plugin in real time, run the
# whole pipeline, and write what would be sent to out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/gen-test-audio.sh >/dev/null
export ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$PWD/scripts/alsa/ama-test.conf"
rm -rf out/demo
./target/release/ama-engine run --config config/default.toml --out out/demo
