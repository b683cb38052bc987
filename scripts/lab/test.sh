#!/usr/bin/env bash
# The lab suites: installs the lab (scripts/lab/setup.sh), builds the engine, boots the VM
# once and runs every suite in it on a fresh Bluetooth stack each, then prints one table.
#
#   bash scripts/lab/test.sh [SUITE...]      (default: all; see scripts/lab/guest-suite.sh)
#
# Logs under target/lab/SUITE/, results in target/lab/results/SUITE.json.
# Exit code 0 only when every suite passed. Runs as root with no stdin (CI).
set -euo pipefail
# The whole script is read before it runs (an edit during a run cannot change it).
main() {
cd "$(dirname "$0")/../.."

SUITES=("$@")
# The default: the suites seen passing. phone-bluez runs when named (its status: README,
# "the lab"). alsa last: it unbinds snd-aloop's card.
[ ${#SUITES[@]} -gt 0 ] || SUITES=(pairing-ble-closed pairing-ble-open pairing-bredr bluez ama-rfcomm ama-ble alsa)

bash scripts/lab/setup.sh
# The ALSA suite plays the generated demo clip (idempotent).
bash scripts/gen-test-audio.sh >/dev/null
if [ -z "${LAB_ENGINE:-}" ]; then
  CARGO_INCREMENTAL=0 cargo build --release --locked -p ama-engine -p ama-phone 2>&1 | tail -n 1
fi

export LAB_OUT="${LAB_OUT:-$PWD/target/lab}"
mkdir -p "$LAB_OUT/results"
for s in "${SUITES[@]}" vm; do rm -f "$LAB_OUT/results/$s.json"; done

set +e
bash scripts/lab/run.sh --timeout "${LAB_TIMEOUT:-1200}" -- \
  bash scripts/lab/guest-suite.sh "${SUITES[@]}"
vm_rc=$?
set -e

/usr/bin/python3 - "$LAB_OUT/results" "$vm_rc" "${SUITES[@]}" <<'PY'
import json, sys
from pathlib import Path
results, vm_rc, suites = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
rows, failed = [], 0
for s in suites:
    p = results / f"{s}.json"
    r = json.loads(p.read_text()) if p.exists() else {"ok": False, "checks": [], "figures": {},
        "notes": [f"no result (the VM exited {vm_rc})"]}
    ok = r["ok"]
    failed += not ok
    f = r.get("figures", {})
    keys = ["pairing_s", "scan_report_s", "connect_s", "link_loss_report_s",
            "avrcp_to_control_ms", "att_mtu", "ble_request_round_trip_ms",
            "rfcomm_request_round_trip_ms", "largest_notification", "ble_voice_bytes_per_s",
            "voice_frames", "voice_frames_sent", "voice_frames_received",
            "voice_frames_lost_in_link_loss", "wake_start_index", "plays_until_wake",
            "alsa_xruns", "removal_exit_s", "suite_s"]
    figs = ", ".join(f"{k}={f[k]}" for k in keys if k in f)
    n_ok = sum(c["ok"] for c in r.get("checks", []))
    rows.append((s, "pass" if ok else "FAIL", f"{n_ok}/{len(r.get('checks', []))}", figs))
    for c in r.get("checks", []):
        if not c["ok"]:
            rows.append(("", "", "failed:", f"{c['check']}: {c['detail'][:160]}"))
    if not r.get("checks"):
        rows.append(("", "", "", "; ".join(r.get("notes", []))[:160]))
w = [max(len(str(x[i])) for x in rows + [("suite", "result", "checks", "")]) for i in range(3)]
print()
print(f"{'suite':<{w[0]}}  {'result':<{w[1]}}  {'checks':<{w[2]}}  figures")
for s, res, n, figs in rows:
    print(f"{s:<{w[0]}}  {res:<{w[1]}}  {n:<{w[2]}}  {figs}")
# The headline figures (issue 13): pairing, one AMA request's round trip, BLE voice.
def fig(suite, key):
    p = results / f"{suite}.json"
    return json.loads(p.read_text()).get("figures", {}).get(key) if p.exists() else None
head = [("BLE pairing s", fig("pairing-ble-open", "pairing_s")),
        ("BR/EDR pairing s (phone/board-initiated)",
         f"{fig('pairing-bredr', 'pairing_s')}/{fig('bluez', 'pairing_s')}"),
        ("AMA request round trip ms (BLE/RFCOMM)",
         f"{fig('ama-ble', 'ble_request_round_trip_ms')}/"
         f"{fig('ama-ble', 'rfcomm_request_round_trip_ms') or fig('ama-rfcomm', 'rfcomm_request_round_trip_ms')}"),
        ("BLE voice bytes/s at ATT MTU", f"{fig('ama-ble', 'ble_voice_bytes_per_s')} at "
                                         f"{fig('ama-ble', 'att_mtu')}")]
print("figures: " + "; ".join(f"{k} {v}" for k, v in head))
vm = results / "vm.json"
if vm.exists():
    print(f"VM boot (host start to the first suite): {json.loads(vm.read_text())['boot_s']} s")
print(f"lab: {len(suites) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
}; main "$@"; exit $?
