#!/usr/bin/env bash
# The engine under real systemd (issue 12): boots the lab VM with systemd as PID 1 (virtme-ng's
# `--systemd`: Debian's kernel under TCG over this machine's filesystem, /etc /usr /var as
# throwaway overlays) and runs tests/lab/service_check.sh in it: install with
# scripts/install.sh, `systemctl start` to READY=1, the watchdog killing and restarting a
# stalled engine, a clean `systemctl stop`. Standalone: not part of scripts/lab/test.sh.
#
#   bash scripts/lab/service.sh [--timeout SECONDS] [--binary PATH]
#
# Needs the lab (bash scripts/lab/setup.sh: QEMU, the kernel, .venv-lab with virtme-ng) and a
# built engine (default: target/release/ama-engine, else target/debug/ama-engine). The guest's
# boot console goes to $LAB_OUT/service/console.log (default LAB_OUT: target/lab), so a boot
# that never reaches the check says why there. Exit code: the check's (0: all passed), 124
# when the VM did not finish in time (default 900 s).
set -euo pipefail
main() {
REPO="$(cd "$(dirname "$0")/../.." && pwd)"
TIMEOUT=900
BINARY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --binary) BINARY="$2"; shift 2 ;;
    *) echo "service.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$BINARY" ]; then
  for b in target/release/ama-engine target/debug/ama-engine; do
    [ -x "$REPO/$b" ] && { BINARY="$REPO/$b"; break; }
  done
fi
[ -n "$BINARY" ] && [ -x "$BINARY" ] || { echo "service.sh: no engine binary (cargo build --release)" >&2; exit 2; }
BINARY="$(cd "$(dirname "$BINARY")" && pwd)/$(basename "$BINARY")"
VNG="$REPO/.venv-lab/bin/vng"
[ -x "$VNG" ] || { echo "service.sh: the lab is not installed: bash scripts/lab/setup.sh" >&2; exit 2; }
KERNEL="${LAB_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)}"
[ -n "$KERNEL" ] || { echo "service.sh: no kernel in /boot" >&2; exit 2; }
LAB_OUT="${LAB_OUT:-$REPO/target/lab}"
mkdir -p "$LAB_OUT/service"
LAB_OUT="$(cd "$LAB_OUT" && pwd)"
CONSOLE="$LAB_OUT/service/console.log"

cmd="cd $(printf '%q' "$REPO") && exec env LAB_OUT=$(printf '%q' "$LAB_OUT") bash tests/lab/service_check.sh $(printf '%q' "$BINARY")"
export PATH="$REPO/.venv-lab/bin:$PATH"
start=$(date +%s.%N)
set +e
# How our command gets to run. virtme-ng runs it from serial-getty@ttyS0 (a drop-in in its
# per-run unit directory, SYSTEMD_UNIT_PATH=~/.cache/virtme-ng/guest/run-*:). But systemd's
# generators (not PID 1) see this machine's /.dockerenv through the shared root, conclude
# "docker", and then (a) the getty generator adds console-getty.service instead of
# serial-getty@ttyS0, (b) the debug and run generators read /proc/1/cmdline instead of the
# kernel command line, so systemd.mask=/systemd.wants=/systemd.run= cannot help. So: as soon
# as vng has written its drop-in, the same drop-in is added for console-getty.service (with
# its tty), before the guest's systemd starts (tens of seconds under TCG).
# `container=` (empty) in PID 1's environment keeps PID 1 itself out of container mode (it
# then says "Detected virtualization qemu").
# LAB_SYSTEMD_MASK (default: this build machine's postgresql and prometheus, and timesyncd,
# which fails in the VM and holds up sysinit.target for 90 s an attempt): masked through
# the same unit directory, so TCG does not spend minutes starting them.
guest_cache="$HOME/.cache/virtme-ng/guest"
mkdir -p "$guest_cache"
before=$(ls "$guest_cache")
(
  for _ in $(seq 1 600); do
    for d in "$guest_cache"/run-*; do
      [ -f "$d/serial-getty@.service.d/virtme-ng.conf" ] || continue
      grep -qx "$(basename "$d")" <<<"$before" && continue
      mkdir -p "$d/console-getty.service.d"
      sed 's|^TTYPath=.*|TTYPath=/dev/console|' "$d/serial-getty@.service.d/virtme-ng.conf" \
        > "$d/console-getty.service.d/virtme-ng.conf"
      for u in ${LAB_SYSTEMD_MASK-postgresql.service postgresql@.service prometheus.service systemd-timesyncd.service}; do
        ln -sf /dev/null "$d/$u"
      done
      echo "service.sh: console-getty runs the command too ($d)" >&2
      exit 0
    done
    sleep 0.1
  done
  echo "service.sh: vng wrote no unit directory" >&2
) &
# --verbose sends the boot console (kernel and systemd) to stderr: kept in CONSOLE. The
# check's own output is the VM's stdout. QEMU reopens /proc/self/fd/N: hand it pipes.
(cd "$REPO" && timeout --kill-after=20 "$TIMEOUT" "$VNG" --run "$KERNEL" --disable-kvm --systemd \
   --append "container=" --verbose --cpus 2 --memory 2G --rwdir "$LAB_OUT" --exec "$cmd" </dev/null 2> >(cat > "$CONSOLE")) | cat
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
[ "$rc" -eq 124 ] && echo "service.sh: the VM did not finish within ${TIMEOUT}s: killed (boot console: $CONSOLE)" >&2
awk -v rc="$rc" -v s="$start" -v e="$end" 'BEGIN { printf "service.sh: VM exited %d after %.1f s\n", rc, e - s }' >&2
exit "$rc"
}; main "$@"; exit $?
