#!/usr/bin/env bash
# Runs every churnlib test: installs missing dependencies, builds the C++ library and its
# Boost.Test suite (warnings are errors), runs it with CTest (including the installed-package
# consumer test), then installs the Python package and runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

build="${CHURN_BUILD_DIR:-build/test}"
jobs="$(nproc 2>/dev/null || echo 2)"
# The Google Benchmark programs are compiled (so an API change cannot break them unnoticed) but
# never run here.
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCHURN_BUILD_TESTS=ON \
  -DCHURN_BUILD_EXAMPLES=ON -DCHURN_BUILD_BENCHMARKS=ON \
  -DCHURN_WARNINGS_AS_ERRORS="${CHURN_WERROR:-ON}" >/dev/null
cmake --build "$build" -j "$jobs"
ctest --test-dir "$build" --output-on-failure -j "$jobs"

bash scripts/build_python.sh
venv="${CHURN_VENV:-.venv}"
"$venv/bin/python" -m pytest python/tests -q
