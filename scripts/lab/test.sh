#!/usr/bin/env bash
# The lab suites: installs the lab (scripts/lab/setup.sh), builds the engine, boots the VM
# once and runs every suite in it on a fresh Bluetooth stack each, then prints one table.
# The suites of ICOUNT_SUITES (alsa-aec, alsa) run in a second VM, booted after the first, on QEMU's
# instruction-count clock (scripts/lab/run.sh --icount).
#
#   bash scripts/lab/test.sh [SUITE...]      (default: all; see scripts/lab/guest-suite.sh)
#
# Logs under target/lab/SUITE/, results in target/lab/results/SUITE.json. A failed suite runs
# once more in a fresh VM (LAB_RETRY=0: not), shown as "pass (2nd run)" in the table, the first
# run's logs kept in target/lab/SUITE.run1/.
# Exit code 0 only when every suite passed. Runs as root with no stdin (CI).
set -euo pipefail
# The whole script is read before it runs (an edit during a run cannot change it).
main() {
cd "$(dirname "$0")/../.."

SUITES=("$@")
# The default: the suites seen passing. phone-bluez runs when named (its status:
# docs/lab.md). alsa last: it unbinds snd-aloop's card.
[ ${#SUITES[@]} -gt 0 ] || SUITES=(pairing-ble-closed pairing-ble-open pairing-bredr bluez ama-rfcomm ama-ble phone-ble alsa-aec alsa)
# Suites that run in a VM of their own on QEMU's instruction-count clock (run.sh --icount: the
# guest sees a fast CPU, however slowly TCG runs): the audio suites, whose engine must keep up
# with real time (the echo canceller alone takes longer than its period under plain TCG). The
# Bluetooth suites keep the plain TCG VM (2 vCPUs, guest time = host time), where they were
# made to pass (not tried on the instruction-count clock).
ICOUNT_SUITES=(alsa-aec alsa)
is_icount() { local s; for s in "${ICOUNT_SUITES[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

bash scripts/lab/setup.sh
# The ALSA suites play generated audio (the demo clip, the echo set; idempotent).
bash scripts/gen-test-audio.sh >/dev/null
if [ -z "${LAB_ENGINE:-}" ]; then
  CARGO_INCREMENTAL=0 cargo build --release --locked -p ama-engine -p ama-phone 2>&1 | tail -n 1
fi

export LAB_OUT="${LAB_OUT:-$PWD/target/lab}"
mkdir -p "$LAB_OUT/results"
rm -f "$LAB_OUT"/results/vm*.json
for s in "${SUITES[@]}"; do
  rm -rf "$LAB_OUT/results/$s.json" "$LAB_OUT/results/$s.run1.json" "$LAB_OUT/$s.run1"
done

# The VM's bound (a guard against a hang, not a speed check): 5 minutes for the boot and 4 per
# suite, or LAB_TIMEOUT seconds. A fixed 20 minutes killed a whole run of 8 suites on a loaded
# machine (the slowest whole run before: 23 minutes for 7, pairing-bredr alone 6 minutes).
bound() { echo "${LAB_TIMEOUT:-$((300 + 240 * $1))}"; }
# vm NAME SUITE...: one VM (the instruction-count one when the suites are) runs the suites;
# its exit code goes to VM_RC[suite], its boot figure to results/vm-NAME.json.
declare -A VM_RC=()
vm() {
  local name=$1; shift
  [ $# -gt 0 ] || return 0
  local opts=(--timeout "$(bound $#)")
  ! is_icount "$1" || opts+=(--icount)
  set +e
  bash scripts/lab/run.sh "${opts[@]}" -- bash scripts/lab/guest-suite.sh "$@"
  local rc=$?
  set -e
  local s
  for s in "$@"; do VM_RC[$s]=$rc; done
  [ ! -e "$LAB_OUT/results/vm.json" ] || mv "$LAB_OUT/results/vm.json" "$LAB_OUT/results/vm-$name.json"
}
# split SUITE...: TCG=(those for the plain VM) ICOUNT=(those for the instruction-count VM)
split() {
  TCG=() ICOUNT=()
  local s
  for s in "$@"; do if is_icount "$s"; then ICOUNT+=("$s"); else TCG+=("$s"); fi; done
}

split "${SUITES[@]}"
vm tcg "${TCG[@]}"
vm icount "${ICOUNT[@]}"
declare -A FIRST_RC=()
for s in "${SUITES[@]}"; do FIRST_RC[$s]=${VM_RC[$s]}; done

# A suite that failed (or never reported: the VM hung or died) runs once more in a fresh VM of
# its kind, visibly: the table says "pass (2nd run)" or "FAIL (2 runs)" and lists the first
# run's failed checks; the first run's logs stay in $LAB_OUT/SUITE.run1/ and its result in
# results/SUITE.run1.json. LAB_RETRY=0: no second run.
again=()
for s in "${SUITES[@]}"; do
  /usr/bin/python3 -c 'import json, sys; sys.exit(0 if json.load(open(sys.argv[1]))["ok"] else 1)' \
    "$LAB_OUT/results/$s.json" 2>/dev/null || again+=("$s")
done
if [ ${#again[@]} -gt 0 ] && [ "${LAB_RETRY:-1}" != 0 ]; then
  for s in "${again[@]}"; do
    [ ! -e "$LAB_OUT/$s" ] || mv "$LAB_OUT/$s" "$LAB_OUT/$s.run1"
    [ ! -e "$LAB_OUT/results/$s.json" ] || mv "$LAB_OUT/results/$s.json" "$LAB_OUT/results/$s.run1.json"
    [ -e "$LAB_OUT/results/$s.run1.json" ] || echo '{"ok": false, "checks": [], "notes": ["no result"]}' >"$LAB_OUT/results/$s.run1.json"
  done
  echo "=== lab: ${again[*]} failed: once more in a fresh VM"
  split "${again[@]}"
  vm tcg-2 "${TCG[@]}"
  vm icount-2 "${ICOUNT[@]}"
fi

rcs=()
for s in "${SUITES[@]}"; do rcs+=("$s=${FIRST_RC[$s]}/${VM_RC[$s]}"); done
/usr/bin/python3 - "$LAB_OUT/results" "${rcs[@]}" <<'PY'
import json, sys
from pathlib import Path
# Each suite as SUITE=RC1/RC2: the exit codes of the VMs that ran it first and last.
results = Path(sys.argv[1])
suites, first_rc, last_rc = [], {}, {}
for arg in sys.argv[2:]:
    s, _, rcs = arg.partition("=")
    suites.append(s)
    first_rc[s], _, last_rc[s] = rcs.partition("/")
rows, failed, retried = [], 0, 0
for s in suites:
    p = results / f"{s}.json"
    first = results / f"{s}.run1.json"
    r = json.loads(p.read_text()) if p.exists() else {"ok": False, "checks": [], "figures": {},
        "notes": [f"no result (the VM exited {last_rc[s]})"]}
    ok = r["ok"]
    failed += not ok
    retried += first.exists()
    f = r.get("figures", {})
    keys = ["pairing_s", "scan_report_s", "connect_s", "link_loss_report_s",
            "avrcp_to_control_ms", "att_mtu", "ble_request_round_trip_ms",
            "rfcomm_request_round_trip_ms", "ble_connect_s", "rfcomm_connect_s",
            "largest_notification", "notification_limit", "ble_voice_bytes_per_s",
            "voice_frames", "voice_frames_sent", "voice_frames_received",
            "voice_frames_lost_in_link_loss", "wake_start_index", "plays_until_wake",
            "alsa_xruns", "removal_exit_s", "substream_start_gap_us", "removal_db_median",
            "delay_aec3_ms", "delay_gcc_phat_ms", "drift_ppm", "exit_periods",
            "exit_over_budget", "suite_s"]
    figs = ", ".join(f"{k}={f[k]}" for k in keys if k in f)
    n_ok = sum(c["ok"] for c in r.get("checks", []))
    res = ("pass" if ok else "FAIL") + ((" (2nd run)" if ok else " (2 runs)")
                                          if first.exists() else "")
    rows.append((s, res, f"{n_ok}/{len(r.get('checks', []))}", figs))
    if first.exists():
        r1 = json.loads(first.read_text())
        bad = [c for c in r1.get("checks", []) if not c["ok"]]
        rows.append(("", "", "1st run:", "; ".join(
            f"{c['check']}: {c['detail'][:100]}" for c in bad)[:240]
            or "; ".join(r1.get("notes", []))[:160] or f"no result (the VM exited {first_rc[s]})"))
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
    # Only suites of this run: results of suites not named are an earlier run's.
    p = results / f"{suite}.json"
    if suite not in suites or not p.exists():
        return None
    return json.loads(p.read_text()).get("figures", {}).get(key)
head = [("BLE pairing s", fig("pairing-ble-open", "pairing_s")),
        ("BR/EDR pairing s (phone/board-initiated)",
         f"{fig('pairing-bredr', 'pairing_s')}/{fig('bluez', 'pairing_s')}"),
        ("AMA request round trip ms (BLE/RFCOMM)",
         f"{fig('ama-ble', 'ble_request_round_trip_ms')}/"
         f"{fig('ama-ble', 'rfcomm_request_round_trip_ms') or fig('ama-rfcomm', 'rfcomm_request_round_trip_ms')}"),
        ("BLE voice bytes/s at ATT MTU", f"{fig('ama-ble', 'ble_voice_bytes_per_s')} at "
                                         f"{fig('ama-ble', 'att_mtu')}")]
print("figures: " + "; ".join(f"{k} {v}" for k, v in head))
for name, label in (("tcg", "VM"), ("icount", "instruction-count VM"),
                    ("tcg-2", "second VM"), ("icount-2", "second instruction-count VM")):
    vm = results / f"vm-{name}.json"
    if vm.exists():
        print(f"{label} boot (host start to the first suite): "
              f"{json.loads(vm.read_text())['boot_s']} s")
print(f"lab: {len(suites) - failed} passed, {failed} failed"
      + (f" ({retried} rerun once in a fresh VM; first runs' logs in SUITE.run1/)"
         if retried else ""))
sys.exit(1 if failed else 0)
PY
}; main "$@"; exit $?
