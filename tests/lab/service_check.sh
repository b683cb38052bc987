#!/usr/bin/env bash
# The engine as a real systemd service (issue 12), inside the lab VM booted with systemd as
# PID 1 (scripts/lab/service.sh). Runs as root in the repository's directory:
#   1. systemd is PID 1 and the system is up (is-system-running --wait, bounded);
#   2. the ama-engine user (written in place); scripts/install.sh installs the engine into
#      the VM's view (/usr/local, /etc, /var are throwaway overlays); the installed config is
#      adapted to the VM (alsa-lib's file plugin on /dev/zero, paced, via a drop-in's
#      ALSA_CONFIG_PATH; Bluetooth off; a TCP AMA link) and a drop-in arms the test-only
#      fault switch (AMA_ENGINE_TEST_FAULTS=1);
#   3. `systemctl start` returns once the engine sent READY=1 (Type=notify): active, and the
#      time from start to READY is measured;
#   4. SIGUSR1 stalls the real-time loop: the engine withholds WATCHDOG=1, systemd's watchdog
#      (WatchdogSec=5s) kills it ("Watchdog timeout" in the journal) and Restart=on-failure
#      starts it again (a new MainPID started after that line, active again);
#   5. `systemctl stop` is clean: inactive, Result=success, the exit table in the journal.
# Every wait is bounded. Prints one "check NAME: ok|FAILED (detail)" line per check and the
# figures; writes the journal and the figures to $LAB_OUT/service/. Exit 0 only if all pass.
# Usage (in the guest): bash tests/lab/service_check.sh BINARY
set -uo pipefail
BIN=${1:?usage: service_check.sh BINARY}
OUT=${LAB_OUT:-target/lab}/service
mkdir -p "$OUT"
UNIT=ama-engine.service
FAILED=0

check() { # NAME OK(0|1) DETAIL
  if [ "$2" -eq 0 ]; then echo "check $1: ok${3:+ ($3)}"; else echo "check $1: FAILED${3:+ ($3)}"; FAILED=1; fi
}
prop() { systemctl show -P "$1" "$UNIT"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
# wait_for SECONDS COMMAND...: polls every 0.2 s; status of the last try.
wait_for() {
  local end=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$end" ] || return 1; sleep 0.2; done
}

# 1. systemd as PID 1.
pid1=$(cat /proc/1/comm)
check pid1-is-systemd "$([ "$pid1" = systemd ]; echo $?)" "PID 1 is $pid1"
# Bounded: a unit that keeps restarting (e.g. timesyncd without a network) keeps the boot
# "starting"; the manager answering is what matters here.
state=$(timeout 120 systemctl is-system-running --wait 2>&1)
echo "system state: $state"
systemctl --failed --no-legend --plain --no-pager | sed 's/^/  failed unit: /'
case "$state" in running|degraded|starting) ok=0 ;; *) ok=1 ;; esac
check system-up "$ok" "$state"
[ "$ok" -eq 0 ] || { echo "systemd did not come up; stopping here"; exit 1; }

# 2. A capture device and the installed engine.
# snd-dummy is loaded (a real card exists), but under TCG it delivered no period at all, so
# the engine's capture is alsa-lib's `file` plugin over `null` (scripts/alsa/ama-test.conf,
# as in the demo) reading /dev/zero, paced to real time by the engine ([audio] pace): periods
# arrive every 10 ms, READY=1 and the watchdog pings follow.
modprobe snd-dummy 2>&1 | sed 's/^/  modprobe: /'
card=$(awk '/Dummy/ { print $1; exit }' /proc/asound/cards 2>/dev/null)
echo "alsa: Dummy card ${card:-none} (not used: no periods under TCG)"
# The user, written in place: systemd-sysusers (install.sh) renames a new /etc/shadow over
# the old one, which fails in the VM ("Device or resource busy"). install.sh skips sysusers
# when the user and its groups exist.
ensure_user() {
  local id=990 g gid new
  while getent passwd "$id" >/dev/null || getent group "$id" >/dev/null; do id=$((id - 1)); done
  getent group ama-engine >/dev/null || echo "ama-engine:x:$id:" >> /etc/group
  gid=$(getent group ama-engine | cut -d: -f3)
  getent passwd ama-engine >/dev/null \
    || echo "ama-engine:x:$id:$gid:AMA audio engine:/var/lib/ama-engine:/usr/sbin/nologin" >> /etc/passwd
  for g in audio bluetooth; do
    getent group "$g" >/dev/null || echo "$g:x:$((id - 1)):" >> /etc/group
  done
  # Memberships: /etc/group's content rewritten in place (no rename).
  new=$(awk -F: -v OFS=: '($1 == "audio" || $1 == "bluetooth") && ("," $4 ",") !~ /,ama-engine,/ {
          $4 = ($4 == "" ? "ama-engine" : $4 ",ama-engine") } { print }' /etc/group)
  printf '%s\n' "$new" > /etc/group
  id ama-engine
}
ensure_user > "$OUT/user.log" 2>&1
# A fresh state directory: the VM's /var is an overlay over this machine's, where a native run
# of the engine may have left a root-owned /var/lib/ama-engine/ama-engine.lock (the engine as
# ama-engine then cannot open it: "Permission denied", exit 2).
rm -rf /var/lib/ama-engine
check user "$?" "$(tail -n1 "$OUT/user.log")"
bash scripts/install.sh --profile headset --binary "$BIN" > "$OUT/install.log" 2>&1
check install "$?" "$(tail -n1 "$OUT/install.log")"
CFG=/etc/ama-engine/engine.toml
install -m 0644 scripts/alsa/ama-test.conf /etc/ama-engine/ama-test.conf
LAB_ALSA=/usr/share/alsa/alsa.conf:/etc/ama-engine/ama-test.conf
# The VM's hardware: the file-plugin capture (paced, endless), no Bluetooth adapter, the AMA
# link on loopback TCP. The rest is the headset profile as installed.
sed -i -e 's|^device = .*|device = "ama_file:FILE=/dev/zero"\npace = true|' \
       -e 's|^cpu = .*|# cpu: not pinned in the VM|' \
       -e '/^\[bluetooth\]/,/^\[/ s|^enabled = .*|enabled = false|' \
       -e 's|^link = .*|link = "tcp://127.0.0.1:47700"|' "$CFG"
ALSA_CONFIG_PATH=$LAB_ALSA /usr/local/bin/ama-engine check-config "$CFG" > "$OUT/check-config.log" 2>&1
check config "$?" "check-config on the adapted $CFG"
mkdir -p /etc/systemd/system/$UNIT.d
printf '[Service]\nEnvironment=AMA_ENGINE_TEST_FAULTS=1\n' > /etc/systemd/system/$UNIT.d/test-faults.conf
# The lab's own: the capture, and TCG's pace. Under TCG exec'ing and starting the engine
# took ~20 s of the unit's 30 s start limit (the READY time is measured and printed all the
# same); a watchdog kill sends SIGABRT and a core of the mlocked process would be written
# through the VM's overlay: none.
printf '[Service]\nEnvironment=ALSA_CONFIG_PATH=%s\nTimeoutStartSec=120s\nLimitCORE=0\n' "$LAB_ALSA" \
  > /etc/systemd/system/$UNIT.d/lab.conf
systemctl daemon-reload
systemd-analyze verify /etc/systemd/system/$UNIT /usr/local/lib/systemd/system/$UNIT \
  > "$OUT/verify.log" 2>&1 || true

# 3. Start: returns when READY=1 arrived.
t0=$(now)
timeout 150 systemctl start "$UNIT"; rc=$?
t1=$(now)
ready_s=$(elapsed "$t0" "$t1")
active=$(prop ActiveState)
check start-ready "$([ $rc -eq 0 ] && [ "$active" = active ]; echo $?)" \
  "systemctl start returned $rc after $ready_s s; ActiveState=$active"
pid=$(prop MainPID)
status=$(prop StatusText)
echo "figure start_to_ready_s=$ready_s main_pid=$pid status=\"$status\""
check status-text "$([ -n "$status" ]; echo $?)" "$status"
# Start to READY as systemd saw it: its "Starting" and "Started" lines (monotonic).
journalctl -u "$UNIT" --no-pager -o short-monotonic > "$OUT/journal-start.txt" 2>&1
mono() { sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
l_starting=$(grep -m1 'systemd\[1\]: Starting' "$OUT/journal-start.txt")
l_started=$(grep -m1 'systemd\[1\]: Started' "$OUT/journal-start.txt")
echo "journal: $l_starting"
echo "journal: $l_started"
if [ -n "$l_starting" ] && [ -n "$l_started" ]; then
  echo "figure journal_start_to_ready_s=$(elapsed "$(mono <<<"$l_starting")" "$(mono <<<"$l_started")")"
fi

# 4. The watchdog: stall the loop, systemd's watchdog kills the engine, Restart= starts it
# again. Passes only on systemd's own "Watchdog timeout" line for the unit after SIGUSR1,
# then a new MainPID started after that line, active again, and no start timeout or other
# exit in between (those raise NRestarts too: NRestarts alone proves nothing).
cursor=$(journalctl -n1 --show-cursor --no-pager -o cat 2>/dev/null | sed -n 's/^-- cursor: //p')
restarts0=$(prop NRestarts)
ts=$(now)
# The moment of the stall, in the journal (its monotonic time against the watchdog's line).
logger -t service_check "SIGUSR1 to MainPID $pid" 2>/dev/null || true
kill -USR1 "$pid"
wd_after() { journalctl -u "$UNIT" ${cursor:+--after-cursor="$cursor"} --no-pager -o short-monotonic 2>/dev/null \
  | grep -m1 "$UNIT: Watchdog timeout"; }
restarted() { [ -n "$(wd_after)" ] && [ "$(prop ActiveState)" = active ] \
  && [ "$(prop MainPID)" != "$pid" ] && [ "$(prop MainPID)" != 0 ]; }
wait_for 120 restarted; ok=$?
te=$(now)
newpid=$(prop MainPID)
wd_line=$(wd_after)
journalctl -u "$UNIT" ${cursor:+--after-cursor="$cursor"} --no-pager -o short-monotonic > "$OUT/journal-watchdog.txt" 2>&1
# The new process started after the watchdog fired (monotonic microseconds, same clock).
wd_us=$(mono <<<"$wd_line" | awk '{ printf "%.0f", $1 * 1000000 }')
start_us=$(prop ExecMainStartTimestampMonotonic)
after=1
[ -n "$wd_us" ] && [ -n "$start_us" ] && [ "$start_us" -gt "$wd_us" ] && after=0
# The first thing systemd says about the unit after SIGUSR1 must be the watchdog timeout, not
# a start timeout or an exit of the engine's own.
first=$(grep -m1 -E "$UNIT: (Watchdog timeout|start operation timed out|Main process exited|Failed with result)" \
  "$OUT/journal-watchdog.txt")
other=""
case "$first" in *"Watchdog timeout"*) ;; *) other=${first:-nothing from systemd}; esac
[ -n "$cursor" ] && [ "$ok" -eq 0 ] && [ "$after" -eq 0 ] && [ -z "$other" ]; ok=$?
check watchdog-restart "$ok" "${wd_line:-no 'Watchdog timeout' line}; MainPID $pid -> $newpid (started at ${start_us:-?} us, watchdog at ${wd_us:-?} us), NRestarts $restarts0 -> $(prop NRestarts), ActiveState=$(prop ActiveState)${other:+; first event: $other}"
grep -E "systemd\[1\]: ($UNIT: |Stopped|Starting|Started)|faults|stall" \
  "$OUT/journal-watchdog.txt" | head -n 20 | sed 's/^/journal: /'
echo "figure stall_to_restarted_s=$(elapsed "$ts" "$te")"
l_kill=$(journalctl -t service_check --no-pager -o short-monotonic 2>/dev/null | grep -m1 'SIGUSR1 to MainPID')
echo "journal: $l_kill"
if [ -n "$l_kill" ] && [ -n "$wd_line" ]; then
  echo "figure journal_sigusr1_to_watchdog_timeout_s=$(elapsed "$(mono <<<"$l_kill")" "$(mono <<<"$wd_line")")"
fi

# 5. Stop: clean, exit table in the journal.
t0=$(now)
timeout 60 systemctl stop "$UNIT"; rc=$?
t1=$(now)
result=$(prop Result)
check stop "$([ $rc -eq 0 ] && [ "$(prop ActiveState)" = inactive ] && [ "$result" = success ]; echo $?)" \
  "rc $rc, ActiveState=$(prop ActiveState), Result=$result, ExecMainStatus=$(prop ExecMainStatus), $(elapsed "$t0" "$t1") s"
journalctl -u "$UNIT" --no-pager -o short-monotonic > "$OUT/journal.txt" 2>&1
# The exit table of the second run (after the restart) ends the journal.
table=$(awk -v p="$newpid" 'index($0, "[" p "]") && /real-time:/' "$OUT/journal.txt" | head -n1)
check exit-table "$([ -n "$table" ]; echo $?)" "${table:-no 'real-time:' line from pid $newpid}"

echo "journal: $OUT/journal.txt"
[ "$FAILED" -eq 0 ] && echo "service check: all passed" || echo "service check: FAILED"
exit "$FAILED"
