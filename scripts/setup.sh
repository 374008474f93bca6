#!/usr/bin/env bash
# Installs whatever churnlib's build, tests and demo need and is missing; does nothing when all
# is present (idempotent). Debian packages through apt-get, Python packages through pip into the
# project's virtual environment (.venv, or $CHURN_VENV).
#
#   bash scripts/setup.sh            # build + test + demo dependencies
#   bash scripts/setup.sh --bench    # also the peer libraries the benchmarks compare against
#   bash scripts/setup.sh --ci       # also clang, libFuzzer, LLVM's OpenMP and the symbolizer
#                                    # (.ci/run's sanitizer and fuzz stages)
set -euo pipefail
cd "$(dirname "$0")/.."

want_bench=0
want_ci=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    --ci) want_ci=1 ;;
    *) echo "setup.sh: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

log() { echo "[setup] $*"; }

# ---- Debian packages ------------------------------------------------------------------------
# pybind11 comes from PyPI (>= 2.12, the first to support numpy 2; Debian 12 ships 2.10).
# chromium (+ a font): headless, renders the HTML report in python/tests/test_report.py (test-only).
debs=(cmake g++ make pkg-config libeigen3-dev nlohmann-json3-dev zlib1g-dev libboost-test-dev
      libbenchmark-dev chromium fonts-liberation)
# .ci/run's stages (scripts/ci_sanitize.sh, scripts/ci_fuzz.sh): clang with its sanitizer and
# libFuzzer runtimes, LLVM's OpenMP (libomp, and its ThreadSanitizer tool libarcher: GCC's
# libgomp is not instrumented), llvm-symbolizer for the reports' stack traces.
if [ $want_ci -eq 1 ]; then
  debs+=(clang libclang-rt-dev libomp-dev llvm)
fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Java 17 runs Spark for python/tests/test_spark.py (test-only; the base image usually has it).
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
# OpenMP ships with g++ (libgomp); a Python 3 with venv and headers is needed for the module.
command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-venv python3-dev)
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  inc=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
  [ -f "$inc/Python.h" ] || missing+=(python3-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "Debian packages: all present"
fi

# ---- Python virtual environment ---------------------------------------------------------------
venv="${CHURN_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  log "creating virtual environment $venv"
  python3 -m venv "$venv"
fi
py="$venv/bin/python"

# module name -> PyPI requirement
declare -A pymods=(
  [pip]="pip>=23"
  [numpy]="numpy"
  [pandas]="pandas"
  [pytest]="pytest"
  [scikit_build_core]="scikit-build-core>=0.8"
  [pybind11]="pybind11>=2.12"
  [sklearn]="scikit-learn"
  [pyarrow]="pyarrow"
  [lightgbm]="lightgbm"   # test-only reference for the GBDT (python/tests/test_gbdt.py)
  [scipy]="scipy"         # test-only reference for KS / Jensen-Shannon (python/tests/test_monitor.py)
  [matplotlib]="matplotlib"  # cl.plot and the PSI chart (optional for users; examples and tests)
  [polars]="polars"       # test-only: polars frames in and out (test_arrow.py, test_sklearn_compat.py, benchmarks)
  [mypy]="mypy"           # test-only: the compiled module's type stubs (python/tests/test_typing.py)
  [pyspark]="pyspark"     # test-only: churnlib.spark in local mode (python/tests/test_spark.py)
  # test-only: churnlib.dask (python/tests/test_dask.py); pinned together (pip once paired a
  # new dask with a 2021 distributed)
  [dask]="dask[dataframe]==2026.8.0"
  [distributed]="distributed==2026.8.0"
)
if [ $want_bench -eq 1 ]; then
  pymods[xgboost]="xgboost"
  pymods[lleaves]="lleaves==1.3.0 llvmlite<0.45"  # compiled LightGBM models: compare_predict.py, compare_model.py latency
fi
need=()
for m in "${!pymods[@]}"; do
  if ! "$py" -c "import $m" >/dev/null 2>&1; then
    read -ra reqs <<< "${pymods[$m]}"   # a module may need more than one requirement
    need+=("${reqs[@]}")
  fi
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing Python packages: ${need[*]}"
  "$py" -m pip install -q --disable-pip-version-check "${need[@]}"
else
  log "Python packages: all present"
fi
