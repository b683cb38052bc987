#!/usr/bin/env bash
# Service and fleet metrics: systemd's tools (systemd-analyze verify of deploy/ama-engine.service,
# systemd-sysusers --root for its user; neither needs systemd running as PID 1) and Debian's
# prometheus, a real server that tests/engine/telemetry_prometheus.rs starts on loopback to scrape the
# engine. Debian starts a freshly installed prometheus.service on :9090; the tests run their own,
# so one this script installed is stopped and disabled again. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in systemd prometheus; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "setup: installing ${missing[*]}"
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
if [[ " ${missing[*]} " == *" prometheus "* ]]; then
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  elif [ -x /etc/init.d/prometheus ]; then
    # Without systemd, invoke-rc.d may have started it through the init script.
    $SUDO /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
fi
