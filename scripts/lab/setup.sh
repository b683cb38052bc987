#!/usr/bin/env bash
# Installs the lab: a throwaway VM (QEMU, TCG) booting Debian's own kernel over this machine's
# filesystem with virtme-ng, in which the real drivers run (snd-aloop, snd-dummy, hci_vhci) with
# real bluetoothd, btvirt and bluez-alsa. The phone side is Google's Bumble (a userspace host)
# on the second virtual controller. Idempotent; run as root (or through sudo).
# Everything comes from Debian's packages and PyPI; nothing else is downloaded.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

APT_PACKAGES=(
  qemu-system-x86 busybox-static linux-image-amd64
  bluez bluez-test-tools bluez-alsa-utils
  alsa-utils dbus kmod systemd python3-venv ffmpeg
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "lab setup: installing ${missing[*]}"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi
# bluetoothd and bluez-alsa run only inside the VM, started by the suites: not on this machine.
for unit in bluetooth bluealsa; do
  $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
done

# virtme-ng (the VM runner) and bumble (the phone side), in their own venv, from PyPI.
VENV=.venv-lab
if [ ! -x "$VENV/bin/vng" ] || ! "$VENV/bin/python" -c "import bumble" 2>/dev/null; then
  echo "lab setup: creating $VENV (virtme-ng, bumble)"
  /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "virtme-ng==1.42" "bumble==0.0.236"
fi
ls /boot/vmlinuz-* >/dev/null
echo "lab setup: ready (kernel $(ls /boot/vmlinuz-* | sort -V | tail -n1))"
