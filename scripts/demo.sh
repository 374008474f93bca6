#!/usr/bin/env bash
# The end-to-end demo on data churnlib generates itself: installs what is missing, builds and
# installs the Python package, and runs examples/demo.py. Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >&2
bash scripts/build_python.sh >&2
venv="${CHURN_VENV:-.venv}"
exec "$venv/bin/python" examples/demo.py "$@"
