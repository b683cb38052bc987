#!/usr/bin/env bash
# Installs what the engine needs on a fresh Debian machine, then builds it (release).
# Idempotent; safe to run again. Runs as root or through sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(
  pkg-config cmake build-essential
  libasound2-dev alsa-utils
  libdbus-1-dev dbus python3-dbusmock
  espeak-ng sox opus-tools ffmpeg
  python3-pip python3-venv
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is not on PATH; install a Rust toolchain (rustup) first" >&2
  exit 1
fi

# Optional parts register themselves here (wake-word model, Python test tools).
for extra in scripts/setup.d/*.sh; do
  [ -e "$extra" ] || continue
  bash "$extra"
done

cargo build --release --locked -p ama-engine -p ama-phone 2>&1 | tail -n 3
