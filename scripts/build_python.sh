#!/usr/bin/env bash
# Builds and installs the churnlib Python package into the project's virtual environment
# (incremental: the CMake build folder under build/py is kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${CHURN_VENV:-.venv}"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-build-isolation \
  --config-settings=cmake.define.CHURN_WARNINGS_AS_ERRORS="${CHURN_WERROR:-ON}" .
