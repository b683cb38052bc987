#!/usr/bin/env bash
# Inside the lab VM only: runs lab suites one after the other, each on a fresh stack.
#
#   bash scripts/lab/guest-suite.sh SUITE...
#
# Suites: pairing-ble-closed, pairing-ble-open, pairing-bredr, bluez, ama-ble, ama-rfcomm, phone-bluez, phone-ble, alsa (last: it unbinds snd-aloop),
# alsa-aec (in a VM of its own on the instruction-count clock: run.sh --icount).
# Logs of each suite under $LAB_OUT/SUITE/, results in $LAB_OUT/results/SUITE.json.
# Exit code: the number of failed suites (0: all passed).
set -uo pipefail
# The whole script is read before it runs (an edit during a run cannot change it).
main() {
cd "$(dirname "$0")/../.."
OUT="${LAB_OUT:-/tmp/lab}"
export LAB_RESULTS="$OUT/results" LAB_RUN="${LAB_RUN:-/run/lab}"
mkdir -p "$LAB_RESULTS" "$LAB_RUN"
PY=.venv-lab/bin/python

if [ -n "${LAB_T0:-}" ]; then
  boot=$(awk -v a="$LAB_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "=== lab VM up: ${boot} s from the host's start to here (kernel uptime $(cut -d' ' -f1 /proc/uptime) s)"
  echo "{\"boot_s\": $boot}" >"$LAB_RESULTS/vm.json"
fi
modprobe -r snd-aloop 2>/dev/null; modprobe snd-aloop
modprobe snd-dummy
failed=0
for suite in "$@"; do
  export LAB_OUT="$OUT/$suite"
  # A stale control socket would pass for the next engine's before it listens.
  rm -rf "$LAB_OUT" "$LAB_RUN/state" "$LAB_RUN/control.sock" "$LAB_RESULTS/$suite.json"
  mkdir -p "$LAB_OUT"
  echo "=== lab suite $suite"
  case "$suite" in
    pairing-ble-open|pairing-ble-closed)
      bash scripts/lab/guest-bt.sh && $PY tests/lab/pairing_ble.py --window "${suite##*-}" ;;
    pairing-bredr)
      bash scripts/lab/guest-bt.sh --bluealsa && $PY tests/lab/pairing_bredr.py ;;
    bluez)
      bash scripts/lab/guest-bt.sh --bluealsa && $PY tests/lab/bluez.py ;;
    ama-ble)
      bash scripts/lab/guest-bt.sh && $PY tests/lab/ama_ble.py ;;
    phone-bluez)
      bash scripts/lab/guest-bt.sh --phone bluez && /usr/bin/python3 tests/lab/phone_bluez.py --link rfcomm ;;
    phone-ble)
      bash scripts/lab/guest-bt.sh --phone bluez-le && /usr/bin/python3 tests/lab/phone_bluez.py --link ble ;;
    ama-rfcomm)
      bash scripts/lab/guest-bt.sh && $PY tests/lab/ama_rfcomm.py ;;
    alsa)
      # Last: it unbinds snd-aloop's card (device removal).
      /usr/bin/python3 tests/lab/alsa.py ;;
    alsa-aec)
      # In the VM on the instruction-count clock (scripts/lab/run.sh --icount; test.sh does it).
      /usr/bin/python3 tests/lab/alsa_aec.py ;;
    *) echo "guest-suite: unknown suite $suite" >&2; false ;;
  esac
  rc=$?
  bash scripts/lab/guest-bt.sh --stop >/dev/null 2>&1
  if [ ! -f "$LAB_RESULTS/$suite.json" ]; then
    printf '{"suite": "%s", "ok": false, "checks": [{"check": "suite ran", "ok": false, "detail": "exit %d, no result"}], "figures": {}, "notes": []}\n' "$suite" "$rc" >"$LAB_RESULTS/$suite.json"
  fi
  [ $rc -eq 0 ] || failed=$((failed + 1))
  echo "=== lab suite $suite: exit $rc"
done
exit $failed
}; main "$@"; exit $?
