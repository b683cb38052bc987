#!/usr/bin/env bash
# AMA test tools: a Python venv with protobuf and grpcio-tools, used by tests/engine/ama_independent.rs
# to decode what the engine sends with a second protobuf implementation compiled from crates/ama-proto/proto/.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.venv-ama
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import grpc_tools.protoc, google.protobuf" 2>/dev/null; then
  echo "setup: creating $VENV (protobuf, grpcio-tools)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "protobuf>=4.25" "grpcio-tools>=1.60"
fi
