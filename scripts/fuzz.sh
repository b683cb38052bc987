#!/usr/bin/env bash
# Runs the cargo-fuzz targets for the AMA parsers (fuzz/: the streaming frame decoder and the
# envelope decoder) for SECONDS each, on the machine's stable toolchain: RUSTC_BOOTSTRAP=1 lets
# stable rustc take the -Z sanitizer flags cargo-fuzz passes. Crashes land in fuzz/artifacts/.
# Usage: bash scripts/fuzz.sh [SECONDS per target, default 60]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
for target in ama_frame_decoder ama_envelope; do
  RUSTC_BOOTSTRAP=1 cargo fuzz run -O "$target" -- -max_total_time="$secs"
done
