#!/usr/bin/env bash
# Runs a command inside the lab VM and passes its exit code through.
#
#   bash scripts/lab/run.sh [--timeout SECONDS] [--memory SIZE] [--icount] [--] CMD [ARG...]
#
# The VM boots Debian's own kernel (linux-image-amd64) with QEMU under TCG (virtme-ng,
# `--disable-kvm`: a KVM guest hangs in early boot on these machines) over this machine's
# filesystem, read-only, with /etc, /var, /tmp as throwaway overlays and /run a tmpfs. CMD runs
# as root in the repository's directory, with the engine built in target/release. Its output
# is streamed; files it writes under $LAB_OUT (default target/lab, shared read-write) are kept.
# Unix sockets cannot be created on the shared folders: keep sockets and state under /run.
# Bounded: after --timeout seconds (default 900) the VM is killed and the exit code is 124.
# --icount: one vCPU on QEMU's instruction-count clock (`-icount shift=0,sleep=off`): the
# guest's time advances by 1 ns per instruction executed and jumps over idle time, so the guest
# sees a CPU of about 1 GHz however slowly TCG runs here (plain TCG runs code 50-80x slower
# than this machine, too slow for the echo canceller's real time). Guest time then runs slower
# or faster than the host's; only the guest's own clock is consistent.
# No standard input is needed (CI).
set -euo pipefail
# The whole script is read before it runs (an edit during a run cannot change it).
main() {
REPO="$(cd "$(dirname "$0")/../.." && pwd)"

TIMEOUT=900
MEMORY=2G
CPU_OPTS=(--cpus 2)
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --memory) MEMORY="$2"; shift 2 ;;
    --icount) CPU_OPTS=(--cpus 1 --qemu-opts "-icount shift=0,sleep=off"); shift ;;
    --) shift; break ;;
    -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: run.sh [--timeout S] [--memory SIZE] [--icount] [--] CMD [ARG...]" >&2; exit 2; }

VNG="$REPO/.venv-lab/bin/vng"
[ -x "$VNG" ] || { echo "run.sh: the lab is not installed: bash scripts/lab/setup.sh" >&2; exit 2; }
KERNEL="${LAB_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n1)}"
[ -n "$KERNEL" ] || { echo "run.sh: no kernel in /boot: bash scripts/lab/setup.sh" >&2; exit 2; }

LAB_OUT="${LAB_OUT:-$REPO/target/lab}"
mkdir -p "$LAB_OUT"
LAB_OUT="$(cd "$LAB_OUT" && pwd)"

# The guest gets no environment from here but what is named on its command line.
cmd="cd $(printf '%q' "$REPO") && exec env LAB_OUT=$(printf '%q' "$LAB_OUT") LAB_RUN=/run/lab LAB_T0=$(date +%s.%N)"
for v in AMA_LOG LAB_ENGINE LAB_VERBOSE LAB_TRACE LAB_PHONE_RCVBUF; do
  [ -n "${!v:-}" ] && cmd+=" $v=$(printf '%q' "${!v}")"
done
for a in "$@"; do cmd+=" $(printf '%q' "$a")"; done

export PATH="$REPO/.venv-lab/bin:$PATH"
start=$(date +%s.%N)
set +e
# vng needs a working directory it can see in the guest; the VM's console is our stdout.
# QEMU writes the guest's stdout/stderr by opening /proc/self/fd/1 and 2 itself, truncating a
# regular file each time (several ports then overwrite each other): hand it a pipe.
(cd "$REPO" && timeout --kill-after=20 "$TIMEOUT" "$VNG" --run "$KERNEL" --disable-kvm \
   "${CPU_OPTS[@]}" --memory "$MEMORY" --rwdir "$LAB_OUT" --exec "$cmd" </dev/null 2>&1) | cat
rc=${PIPESTATUS[0]}
set -e
end=$(date +%s.%N)
[ $rc -eq 124 ] && echo "run.sh: the VM did not finish within ${TIMEOUT}s: killed" >&2
awk -v rc="$rc" -v s="$start" -v e="$end" 'BEGIN { printf "run.sh: VM exited %d after %.1f s\n", rc, e - s }' >&2
exit $rc
}; main "$@"; exit $?
