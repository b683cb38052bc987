#!/usr/bin/env bash
# Installs what the tests need, generates the test audio, and runs the whole test suite:
# formatting, clippy, unit and integration tests (debug), and the real-time allocation test
# in a release build.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/gen-test-audio.sh

# A one-shot build gains nothing from incremental caches, which took 4 GB of disk.
export CARGO_INCREMENTAL=0
export ALSA_CONFIG_PATH="/usr/share/alsa/alsa.conf:$PWD/scripts/alsa/ama-test.conf"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo test --release --locked --test realtime_alloc --test wakeword_input_choice
