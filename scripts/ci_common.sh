# Sourced by scripts/ci_sanitize.sh and scripts/ci_fuzz.sh: the clang sanitizer builds they
# share (not a program of its own).
#
# build/asan: clang, -O1, AddressSanitizer + UndefinedBehaviorSanitizer (CHURN_SANITIZE), the
#   library also instrumented for libFuzzer's coverage (CHURN_BUILD_FUZZERS), LLVM's libomp.
#   One compiled library serves the whole Boost suite (ci_sanitize.sh asan) and every fuzz
#   target (ci_fuzz.sh).
# build/tsan: clang, -O1, ThreadSanitizer (CHURN_SANITIZE_THREAD), libomp; only the library and
#   the suites of the parallel code (CHURN_TEST_SOURCES_REGEX below).

ci_jobs="${CHURN_CI_JOBS:-$(nproc 2>/dev/null || echo 2)}"
ci_launcher=()
if command -v ccache >/dev/null 2>&1; then
  ci_launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
# -O1 with line tables: fast enough to run the suite, stack traces with file:line. Assertions
# (Eigen's bounds checks included) stay on: no NDEBUG.
ci_flags=(-DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo
          "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
          -DCHURN_BUILD_EXAMPLES=OFF -DCHURN_BUILD_BENCHMARKS=OFF -DCHURN_INSTALL=OFF
          "${ci_launcher[@]}")

# The symbolizer the sanitizers print file:line with (Debian: package llvm).
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer || true)}"
# Every report is fatal; leaks are errors; UBSan prints the stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:check_initialization_order=1:detect_stack_use_after_return=1:strict_string_checks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/scripts/lsan_suppressions.txt:print_suppressions=0}"

ci_configure_asan() {
  cmake -S . -B build/asan "${ci_flags[@]}" -DCHURN_SANITIZE=ON -DCHURN_BUILD_FUZZERS=ON \
    -DCHURN_BUILD_TESTS=ON >/dev/null
}

ci_configure_tsan() {
  cmake -S . -B build/tsan "${ci_flags[@]}" -DCHURN_SANITIZE_THREAD=ON -DCHURN_BUILD_TESTS=ON \
    "-DCHURN_TEST_SOURCES_REGEX=/(core/test_parallel|model/test_concurrency|model/test_determinism)[.]cpp$" \
    >/dev/null
}

# "<stage>: <seconds> s" on stderr and in build/ci-times.txt (.ci/run prints the file).
ci_time() {
  local stage="$1" start="$2"
  local line="$stage: $(( $(date +%s) - start )) s"
  echo "[ci] $line" >&2
  mkdir -p build
  echo "$line" >> build/ci-times.txt
}
