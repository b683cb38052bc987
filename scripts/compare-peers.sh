#!/usr/bin/env bash
# The engine against GStreamer and ffmpeg on the same job: SECONDS (default 60) of 48 kHz noisy
# speech -> noise suppression -> 16 kHz -> Opus 32 kbps hard CBR, complexity 4, 20 ms frames.
#   engine:    ama-engine simulate --gate always (config/default.toml: denoise on, wake word on)
#   GStreamer: webrtcdsp noise-suppression-level=high ! audioresample ! opusenc (Ogg)
#   ffmpeg:    afftdn, aresample, libopus (Ogg)
# Runs the three in interleaved rounds (after one untimed warm-up each: GStreamer builds its
# plugin registry on first use) and prints per tool the median whole-process CPU (user + sys,
# GNU time) and median peak RSS, and the ratios to the best peer. Timings are measured, never
# checked: this script fails only when a tool fails.
#
# Usage: scripts/compare-peers.sh [--rounds N] [--seconds S] [--engine PATH] [--no-install]
# Installs what is missing (apt: gstreamer1.0-tools, -plugins-base/-good/-bad, ffmpeg, time),
# non-interactively, unless --no-install; a peer that is still missing is reported as n/a.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5
secs=60
engine=target/release/ama-engine
install=1
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --seconds) secs=$2; shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    *) echo "usage: $0 [--rounds N] [--seconds S] [--engine PATH] [--no-install]" >&2; exit 2 ;;
  esac
done

if [ "$install" = 1 ]; then
  missing=()
  for p in gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
    gstreamer1.0-plugins-bad ffmpeg time sox espeak-ng; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
    echo "compare-peers: installing ${missing[*]}" >&2
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
      "${missing[@]}" >/dev/null
  fi
fi
[ -x /usr/bin/time ] || { echo "compare-peers: needs GNU time (/usr/bin/time)" >&2; exit 1; }

if [ ! -x "$engine" ]; then
  echo "compare-peers: building $engine" >&2
  cargo build --release --locked -p ama-engine >&2
fi

mkdir -p data
bash scripts/gen-test-audio.d/noisy-speech.sh "$secs" >&2
input=data/noisy-speech-${secs}s-48k.wav
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Each tool's command line, run directly under GNU time (no shell in between).
cmd_engine=("$engine" simulate --config config/default.toml --input "$input" --out "$out/engine"
  --gate always)
cmd_gstreamer=(gst-launch-1.0 -q filesrc location="$input" ! wavparse ! audioconvert
  ! webrtcdsp echo-cancel=false noise-suppression-level=high gain-control=false
  high-pass-filter=false
  ! audioconvert ! audioresample ! audio/x-raw,rate=16000,channels=1
  ! opusenc bitrate=32000 bitrate-type=cbr complexity=4 frame-size=20 audio-type=voice
  ! oggmux ! filesink location="$out/gst.ogg")
cmd_ffmpeg=(ffmpeg -nostdin -v error -y -threads 1 -i "$input" -af "afftdn,aresample=16000"
  -ac 1 -c:a libopus -application voip -b:a 32k -vbr off -compression_level 4
  -frame_duration 20 "$out/ffmpeg.ogg")
run() { # run TOOL [time args...]: runs the tool's command line, its output to $out/TOOL.err
  local t=$1 c
  shift
  c="cmd_$t[@]"
  "$@" "${!c}" >/dev/null 2>"$out/$t.err" || { cat "$out/$t.err" >&2; exit 1; }
}

available() { # available TOOL -> 0 when its program and elements exist
  case $1 in
    engine) [ -x "$engine" ] ;;
    gstreamer) command -v gst-inspect-1.0 >/dev/null && gst-inspect-1.0 webrtcdsp >/dev/null 2>&1 \
      && gst-inspect-1.0 opusenc >/dev/null 2>&1 ;;
    ffmpeg) command -v ffmpeg >/dev/null && ffmpeg -hide_banner -encoders 2>/dev/null | grep libopus >/dev/null ;;
  esac
}

tools=(engine gstreamer ffmpeg)
declare -A ok
for t in "${tools[@]}"; do
  if available "$t"; then
    ok[$t]=1
    run "$t" # warm-up
  else
    ok[$t]=0
    echo "compare-peers: $t not available, reported as n/a" >&2
  fi
done

# One line per run: TOOL CPU_SECONDS PEAK_RSS_KB
for ((r = 1; r <= rounds; r++)); do
  for t in "${tools[@]}"; do
    [ "${ok[$t]}" = 1 ] || continue
    run "$t" /usr/bin/time -f "%U %S %M" -o "$out/time"
    read -r u s m <"$out/time"
    echo "$t $(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }') $m" >>"$out/runs"
  done
done

cpu=$(uname -m)
model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)
echo "compare-peers: ${secs} s of 48 kHz noisy speech -> denoise -> 16 kHz -> Opus 32 kbps hard CBR, complexity 4, 20 ms"
echo "machine: ${model:-$cpu}, $(nproc) cores, $(uname -sr); $rounds interleaved rounds"
awk -v tools="${tools[*]}" '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { n[$1]++; c[$1, n[$1]] = $2; m[$1, n[$1]] = $3 }
  END {
    split(tools, T, " ")
    best_c = -1; best_m = -1
    for (k = 1; k in T; k++) {
      t = T[k]; if (!(t in n)) continue
      delete a; for (i = 1; i <= n[t]; i++) a[i] = c[t, i]; mc[t] = median(a, n[t])
      delete a; for (i = 1; i <= n[t]; i++) a[i] = m[t, i]; mm[t] = median(a, n[t]) / 1024
      if (t != "engine") {
        if (best_c < 0 || mc[t] < best_c) best_c = mc[t]
        if (best_m < 0 || mm[t] < best_m) best_m = mm[t]
      }
    }
    printf "%-10s %14s %18s %16s %16s\n", "tool", "CPU median (s)", "peak RSS (MiB)", "CPU / best peer", "RSS / best peer"
    for (k = 1; k in T; k++) {
      t = T[k]
      if (!(t in n)) { printf "%-10s %14s %18s %16s %16s\n", t, "n/a", "n/a", "n/a", "n/a"; continue }
      rc = best_c > 0 ? sprintf("%.2f", mc[t] / best_c) : "n/a"
      rm = best_m > 0 ? sprintf("%.2f", mm[t] / best_m) : "n/a"
      printf "%-10s %14.3f %18.1f %16s %16s\n", t, mc[t], mm[t], rc, rm
    }
  }' "$out/runs"
