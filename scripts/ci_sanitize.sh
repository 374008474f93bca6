#!/usr/bin/env bash
# .ci/run's sanitizer stages (scripts/ci_common.sh has the builds):
#
#   bash scripts/ci_sanitize.sh asan   # the whole Boost suite under ASan + UBSan
#   bash scripts/ci_sanitize.sh tsan   # the parallel code under ThreadSanitizer
#   bash scripts/ci_sanitize.sh        # both
#
# asan: clang -O1, every CTest suite of churn_tests; any report (out of bounds, use after free,
#   leak, undefined behaviour, an Eigen assertion) fails the stage.
# tsan: the library and the suites core_parallel (parallel_for and its reductions),
#   model_concurrency (predict / predict_contrib / transform / score from 8 std::threads at
#   once on one object, each running its own OpenMP team) and model_determinism (every engine
#   fitted with 1, 2, 7 and 16 threads: the parallel fit code). OpenMP is LLVM's libomp, made
#   visible to TSan by its tool libarcher (OMP_TOOL_LIBRARIES): GCC's libgomp is not
#   instrumented and would report its own barriers as races. No suppressions.
#
# Times. Measured on the development machine: 2 cores shared with three other helpers' builds
# (load 4-11), so wall times there are 3-10x a dedicated machine's and are not CI estimates:
#   - the ASan+UBSan library (108 files, clang -O1 + libFuzzer coverage) took ~55 min wall at
#     load 8-11; per file it costs the same CPU as test.sh's gcc -O3 build (ranking.cpp 4.5 s vs
#     4.3 s, gbdt.cpp 1.8 s vs 2.0 s; TSan 2.8 s and 1.7 s), so on 2 dedicated cores the asan
#     build (library + suite) costs about what test.sh's C++ build does, ~8-10 min estimated;
#   - `ci_sanitize.sh asan` with the library already built: the suite's build 854 s wall (load
#     ~3.5), ctest 123 s wall, 54/54 suites clean (the gcc suite's CTest cost is ~25-60 s);
#   - tsan: the build's last 79 library files and the 3 suites took ~7 min wall at load ~4;
#     ctest 14 s (core_parallel 0.1 s, model_concurrency 6.6 s, model_determinism 7.4 s), clean.
#     On 2 dedicated cores: ~4-5 min build + <1 min run estimated.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --ci >/dev/null
# shellcheck source=ci_common.sh
source scripts/ci_common.sh

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(asan tsan)

run_asan() {
  local t0
  t0=$(date +%s)
  ci_configure_asan
  cmake --build build/asan -j "$ci_jobs" --target churn_tests
  ci_time "asan+ubsan build" "$t0"
  t0=$(date +%s)
  ctest --test-dir build/asan --output-on-failure -j "$ci_jobs" --timeout 1200
  ci_time "asan+ubsan ctest" "$t0"
}

run_tsan() {
  local t0 archer
  t0=$(date +%s)
  ci_configure_tsan
  cmake --build build/tsan -j "$ci_jobs" --target churn_tests
  ci_time "tsan build" "$t0"
  archer="$(clang++ -print-resource-dir)/../../libarcher.so"
  [ -f "$archer" ] || archer="$(dirname "$(clang++ -print-file-name=libomp.so)")/libarcher.so"
  if [ ! -f "$archer" ]; then
    echo "ci_sanitize.sh: libarcher.so (package libomp-dev) not found" >&2
    exit 1
  fi
  t0=$(date +%s)
  # one suite at a time: TSan's shadow memory and the 16-thread fits are heavy on 2 cores
  OMP_TOOL_LIBRARIES="$archer" ARCHER_OPTIONS="verbose=0" \
    TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:ignore_noninstrumented_modules=1:second_deadlock_stack=1:history_size=4}" \
    ctest --test-dir build/tsan --output-on-failure -j 1 --timeout 1200
  ci_time "tsan ctest" "$t0"
}

for s in "${stages[@]}"; do
  case "$s" in
    asan) run_asan ;;
    tsan) run_tsan ;;
    *) echo "ci_sanitize.sh: unknown stage '$s' (asan, tsan)" >&2; exit 2 ;;
  esac
done
