#!/usr/bin/env bash
# Installs the engine as a system service, or removes it.
#
#   scripts/install.sh [--profile headset|speaker] [--prefix /usr/local] [--binary PATH]
#                      [--models DIR] [--strip]
#   scripts/install.sh --uninstall [--prefix /usr/local] [--purge]
#
# DESTDIR (environment) stages the whole tree under another root (image builds, tests); then no
# user is created and systemd is not told (the image's systemd-sysusers and daemon-reload do it
# at boot). Without DESTDIR it must run as root.
#
# What goes where (PREFIX = /usr/local unless --prefix):
#   PREFIX/bin/ama-engine                        the release binary (cargo build --release)
#   PREFIX/share/ama-engine/models/alexa.*       the wake-word model (from models/)
#   PREFIX/lib/ama-engine/libtensorflowlite_c.so the TensorFlow Lite C runtime (from models/)
#   PREFIX/share/ama-engine/engine.toml.dist     the profile as installed (see below)
#   /etc/ama-engine/engine.toml                  config/PROFILE.toml with the installed paths
#   /var/lib/ama-engine                          state (device registry, AMA state), mode 0750
#   UNITDIR/ama-engine.service                   PREFIX/lib/systemd/system for /usr and
#   SYSUSERSDIR/ama-engine.conf                  /usr/local, else /etc/systemd/system (and
#                                                PREFIX/lib/sysusers.d, else /etc/sysusers.d)
#
# The config is never overwritten once edited: an existing engine.toml that still equals the
# engine.toml.dist of the previous install is replaced; one that was edited is kept and the new
# profile is written next to it as engine.toml.new (the script says so). --uninstall removes
# everything above but the config and the state; --purge removes those too. The user stays
# (Debian's convention: uids are not recycled).
set -euo pipefail
ORIG=$PWD
cd "$(dirname "$0")/.."

PROFILE=headset
PREFIX=/usr/local
BINARY=""
MODELS=models
STRIP=0
UNINSTALL=0
PURGE=0
DESTDIR=${DESTDIR:-}

usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "install: $*" >&2; exit 1; }
say() { echo "install: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?--profile needs a value}; shift 2 ;;
    --profile=*) PROFILE=${1#*=}; shift ;;
    --prefix) PREFIX=${2:?--prefix needs a value}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --binary) BINARY=${2:?--binary needs a value}; shift 2 ;;
    --binary=*) BINARY=${1#*=}; shift ;;
    --models) MODELS=${2:?--models needs a value}; shift 2 ;;
    --models=*) MODELS=${1#*=}; shift ;;
    --strip) STRIP=1; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "install: unknown argument: $1" >&2; usage 2 ;;
  esac
done

case "$PROFILE" in headset|speaker) ;; *) die "--profile: '$PROFILE' (accepted: headset, speaker)" ;; esac
case "$PREFIX" in /*) ;; *) die "--prefix must be absolute: '$PREFIX'" ;; esac
PREFIX=${PREFIX%/}
[ -n "$PREFIX" ] || PREFIX=/usr
[ "$PURGE" -eq 0 ] || [ "$UNINSTALL" -eq 1 ] || die "--purge goes with --uninstall"
if [ -z "$DESTDIR" ] && [ "$(id -u)" -ne 0 ]; then
  die "installing into / needs root (or set DESTDIR to stage the tree elsewhere)"
fi

BINDIR=$PREFIX/bin
LIBDIR=$PREFIX/lib/ama-engine
DATADIR=$PREFIX/share/ama-engine
CONFDIR=/etc/ama-engine
STATEDIR=/var/lib/ama-engine
case "$PREFIX" in
  /usr|/usr/local) UNITDIR=$PREFIX/lib/systemd/system; SYSUSERSDIR=$PREFIX/lib/sysusers.d ;;
  *) UNITDIR=/etc/systemd/system; SYSUSERSDIR=/etc/sysusers.d ;;
esac
UNIT=$UNITDIR/ama-engine.service
D=$DESTDIR

# systemd is asked only when it runs the machine we install into.
systemd_live() { [ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null; }

if [ "$UNINSTALL" -eq 1 ]; then
  if systemd_live; then
    systemctl disable --now ama-engine.service 2>/dev/null || true
  fi
  rm -f "$D$BINDIR/ama-engine" "$D$UNIT" "$D$SYSUSERSDIR/ama-engine.conf"
  rm -rf "$D$LIBDIR" "$D$DATADIR"
  if [ "$PURGE" -eq 1 ]; then
    rm -rf "$D$CONFDIR" "$D$STATEDIR"
    say "removed the engine, its config ($CONFDIR) and its state ($STATEDIR)"
  else
    say "removed the engine; kept $CONFDIR and $STATEDIR (--purge removes them)"
  fi
  if systemd_live; then systemctl daemon-reload; fi
  exit 0
fi

# --- what to install (paths given on the command line are relative to where it was run) ---
if [ -z "$BINARY" ]; then
  BINARY=${CARGO_TARGET_DIR:-target}/release/ama-engine
else
  case "$BINARY" in /*) ;; *) BINARY=$ORIG/$BINARY ;; esac
fi
case "$MODELS" in /*|models) ;; *) MODELS=$ORIG/$MODELS ;; esac
[ -x "$BINARY" ] || die "no binary at $BINARY: run 'cargo build --release' first (or --binary PATH)"
for f in alexa.json alexa.tflite libtensorflowlite_c.so; do
  [ -s "$MODELS/$f" ] || die "no $MODELS/$f: run scripts/setup.sh first (or --models DIR)"
done
SRC_CONFIG=config/$PROFILE.toml
[ -f "$SRC_CONFIG" ] || die "no $SRC_CONFIG"

# The runtime is dlopen()ed by the binary: both must be built for the same machine (a
# cross-compiled binary needs the board's runtime, --models). ELF e_machine is at offset 18.
elf_machine() { od -An -tx1 -j18 -N2 "$1" | tr -d ' \n'; }
if [ "$(elf_machine "$BINARY")" != "$(elf_machine "$MODELS/libtensorflowlite_c.so")" ]; then
  die "$BINARY and $MODELS/libtensorflowlite_c.so are built for different machines"
fi

# The profile with the installed paths (its relative model paths meant the source tree).
render_config() {
  echo "# Installed by scripts/install.sh from config/$PROFILE.toml; edits are kept on reinstall."
  # The profiles' paths are relative to config/ (../models/...); the installed ones absolute.
  sed -e "s#^model = \"\(\.\./\)\{0,1\}models/alexa.json\"#model = \"$DATADIR/models/alexa.json\"#" \
      -e "s#^runtime = \"\(\.\./\)\{0,1\}models/libtensorflowlite_c.so\"#runtime = \"$LIBDIR/libtensorflowlite_c.so\"#" \
      -e "s|^\(#.*\)Installed by scripts/setup.sh.*|\1Installed by scripts/install.sh (nothing is downloaded at run time).|" \
      "$SRC_CONFIG"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
render_config >"$tmp/engine.toml"
grep -q "^model = \"$DATADIR/models/alexa.json\"" "$tmp/engine.toml" \
  || die "$SRC_CONFIG: no 'model = \"models/alexa.json\"' line to rewrite"
grep -q "^runtime = \"$LIBDIR/libtensorflowlite_c.so\"" "$tmp/engine.toml" \
  || die "$SRC_CONFIG: no 'runtime = \"models/libtensorflowlite_c.so\"' line to rewrite"
# A binary that runs here checks the rendered config (not the device: that is the board's).
# check-config loads an enabled wake word's model and runtime: point it at the ones about to
# be installed (the installed paths may only exist under DESTDIR, or not yet).
if "$BINARY" --version >/dev/null 2>&1; then
  M=$(cd "$MODELS" && pwd)
  sed -e "s#^model = \"$DATADIR/models/alexa.json\"#model = \"$M/alexa.json\"#" \
      -e "s#^runtime = \"$LIBDIR/libtensorflowlite_c.so\"#runtime = \"$M/libtensorflowlite_c.so\"#" \
      "$tmp/engine.toml" >"$tmp/check.toml"
  "$BINARY" check-config --no-device "$tmp/check.toml" >/dev/null \
    || die "the rendered config does not load (see above)"
fi
sed "s#^ExecStart=/usr/local/bin/ama-engine #ExecStart=$BINDIR/ama-engine #" \
  deploy/ama-engine.service >"$tmp/ama-engine.service"

# --- files ---
install -d -m 0755 "$D$BINDIR" "$D$LIBDIR" "$D$DATADIR/models" "$D$CONFDIR" "$D$UNITDIR" \
  "$D$SYSUSERSDIR"
install -m 0755 "$BINARY" "$D$BINDIR/ama-engine"
if [ "$STRIP" -eq 1 ]; then strip "$D$BINDIR/ama-engine"; fi
install -m 0644 "$MODELS/alexa.json" "$MODELS/alexa.tflite" "$D$DATADIR/models/"
install -m 0644 "$MODELS/libtensorflowlite_c.so" "$D$LIBDIR/"
install -m 0644 "$tmp/ama-engine.service" "$D$UNIT"
install -m 0644 deploy/ama-engine.sysusers.conf "$D$SYSUSERSDIR/ama-engine.conf"

# --- the config: like a package's conffile ---
conf=$D$CONFDIR/engine.toml
dist=$D$DATADIR/engine.toml.dist
if [ ! -e "$conf" ]; then
  install -m 0644 "$tmp/engine.toml" "$conf"
  say "wrote $CONFDIR/engine.toml (profile $PROFILE)"
elif cmp -s "$conf" "$tmp/engine.toml"; then
  rm -f "$conf.new"
elif [ -f "$dist" ] && cmp -s "$conf" "$dist"; then
  install -m 0644 "$tmp/engine.toml" "$conf"
  rm -f "$conf.new"
  say "updated $CONFDIR/engine.toml (profile $PROFILE; it was not edited)"
else
  install -m 0644 "$tmp/engine.toml" "$conf.new"
  say "kept your edited $CONFDIR/engine.toml; the new profile ($PROFILE) is $CONFDIR/engine.toml.new"
fi
install -m 0644 "$tmp/engine.toml" "$dist"

# --- user and state ---
# The user exists and is in audio and bluetooth: nothing to create (and /etc/passwd, /etc/shadow
# are not rewritten; systemd-sysusers renames them over, which fails where /etc/shadow is busy).
user_ready() {
  getent passwd ama-engine >/dev/null || return 1
  local groups g
  groups=" $(id -nG ama-engine 2>/dev/null) "
  for g in audio bluetooth; do
    case "$groups" in *" $g "*) ;; *) return 1 ;; esac
  done
}
install -d -m 0750 "$D$STATEDIR"
if [ -z "$DESTDIR" ]; then
  if user_ready; then
    : # the user and its groups are there (a reinstall, or created by other means)
  elif command -v systemd-sysusers >/dev/null; then
    systemd-sysusers "$SYSUSERSDIR/ama-engine.conf"
  elif ! getent passwd ama-engine >/dev/null; then
    useradd --system --user-group --home-dir "$STATEDIR" --no-create-home \
      --shell /usr/sbin/nologin --comment "AMA audio engine" ama-engine
    for g in audio bluetooth; do
      getent group "$g" >/dev/null || groupadd --system "$g"
      usermod -a -G "$g" ama-engine
    done
  fi
  chown ama-engine:ama-engine "$STATEDIR"
fi
if systemd_live; then
  systemctl daemon-reload
fi

say "installed $BINDIR/ama-engine, the model, the runtime and $UNIT${DESTDIR:+ under $DESTDIR}"
say "start it with: systemctl enable --now ama-engine   (logs: journalctl -u ama-engine -f)"
