#!/usr/bin/env bash
# Wake word: the microWakeWord "alexa" model and the TensorFlow Lite C runtime, taken from the
# pymicro-wakeword wheel for this machine's architecture (PyPI), into models/ (git-ignored).
# Nothing is downloaded at run time. Also a Python venv (.venv-ww, git-ignored) with
# pymicro-wakeword and pymicro-features, the references the wake-word tests compare against.
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

WW_VERSION=2.5.0
MODELS=models
VENV=.venv-ww

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi

if [ ! -s "$MODELS/alexa.tflite" ] || [ ! -s "$MODELS/alexa.json" ] || [ ! -s "$MODELS/libtensorflowlite_c.so" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "setup: fetching pymicro-wakeword $WW_VERSION wheel for $(uname -m)"
  "$VENV/bin/python" -m pip download -q --no-deps --only-binary=:all: -d "$tmp" "pymicro-wakeword==$WW_VERSION"
  wheel=$(ls "$tmp"/pymicro_wakeword-"$WW_VERSION"-*.whl)
  "$VENV/bin/python" - "$wheel" "$MODELS" <<'PY'
import sys, zipfile, pathlib
wheel, out = sys.argv[1], pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
want = {
    "pymicro_wakeword/models/alexa.tflite": "alexa.tflite",
    "pymicro_wakeword/models/alexa.json": "alexa.json",
    "pymicro_wakeword/lib/libtensorflowlite_c.so": "libtensorflowlite_c.so",
}
with zipfile.ZipFile(wheel) as z:
    names = set(z.namelist())
    for src, dst in want.items():
        if src not in names:
            sys.exit(f"setup: {src} is not in {wheel}")
        tmp = out / (dst + ".tmp")
        tmp.write_bytes(z.read(src))
        tmp.rename(out / dst)
PY
  echo "setup: model and runtime in $MODELS/"
fi

if ! "$VENV/bin/python" -c "import pymicro_wakeword, pymicro_features, numpy" 2>/dev/null; then
  echo "setup: installing the wake-word references into $VENV"
  "$VENV/bin/python" -m pip install -q "pymicro-wakeword==$WW_VERSION" "pymicro-features==2.0.2" numpy
fi
