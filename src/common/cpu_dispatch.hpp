#pragma once
/// @file cpu_dispatch.hpp
/// The one CPU-dispatch mechanism of churnlib (never installed): which instruction-set build of a
/// kernel to run (the monitor's column scans, K-means' distances), and a process-wide override
/// so that tests can run every build the CPU has.
///
/// **The determinism rule.** Every dispatched kernel gives the portable build's bits at every
/// level: the kernels are plain loops (or vector extensions) compiled once per level from one
/// source, and every such translation unit is compiled with `-ffp-contract=off` (see
/// CMakeLists.txt), so an AVX2+FMA or AVX-512 build computes the same products and sums, in the
/// same order, as the portable one. Results therefore depend neither on the CPU nor on the
/// override; tests/common/test_cpu_dispatch.cpp checks K-means and the monitor at every level the
/// CPU has. A new kernel file must be added to that CMake list.
///
/// **Cost.** The CPU is probed once per process; cpu_level() is one relaxed atomic load, read
/// once per kernel call (a block of rows), never per element.
///
/// Thread safety: cpu_level() may be called from any thread. The override is for tests: set it
/// while no kernel runs on another thread.

namespace churn::common {

/// The instruction-set levels a kernel may be built for (each includes the ones below).
enum class CpuLevel : int {
  Portable = 0,  ///< the baseline x86-64 (or any other) build
  Avx2 = 1,      ///< AVX2 and FMA
  Avx512 = 2,    ///< AVX-512 F, DQ, VL and BW (with AVX2 and FMA)
};

/// The best level this CPU has (probed once per process; Portable off x86 or without GCC/Clang).
CpuLevel detected_cpu_level();

/// The level the kernels use now: detected_cpu_level(), capped by set_max_cpu_level().
CpuLevel cpu_level();

/// Tests: caps cpu_level() at `level` for the whole process (a cap above the CPU's level has no
/// effect). Results never depend on it (the determinism rule above).
void set_max_cpu_level(CpuLevel level);
/// Tests: removes the cap (cpu_level() is detected_cpu_level() again).
void clear_max_cpu_level();

/// The name of a level: "portable", "avx2" or "avx512".
const char* cpu_level_name(CpuLevel level);

/// Tests: caps the level for a scope and removes the cap at its end.
/// @code
/// for (CpuLevel l : {CpuLevel::Portable, CpuLevel::Avx2, CpuLevel::Avx512}) {
///   ScopedCpuLevel use(l);
///   results.push_back(run_the_kernels());  // all equal, bit for bit
/// }
/// @endcode
class ScopedCpuLevel {
 public:
  explicit ScopedCpuLevel(CpuLevel level) { set_max_cpu_level(level); }
  ~ScopedCpuLevel() { clear_max_cpu_level(); }
  ScopedCpuLevel(const ScopedCpuLevel&) = delete;
  ScopedCpuLevel& operator=(const ScopedCpuLevel&) = delete;
};

}  // namespace churn::common
