#pragma once
/// @file random.hpp
/// A small, portable, seeded random generator.
///
/// `std::` distributions differ between standard libraries, so churnlib draws every random
/// number from `churn::Rng` (xoshiro256** seeded through splitmix64) and its own, fully
/// specified transformations. The same seed gives the same stream on every platform.

#include <cmath>    // std::log, std::sqrt, std::cos
#include <cstdint>  // std::uint64_t

#include "churn/core/error.hpp"

namespace churn {

/// xoshiro256** generator; create one per call from an explicit seed, never share globally.
/// @code
/// churn::Rng rng(42);
/// double u = rng.uniform();        // [0, 1)
/// auto k = rng.uniform_int(10);    // 0..9, unbiased
/// @endcode
///
/// Thread safety: none; one generator per thread (parallel loops derive one per block from the
/// seed, so results do not depend on the thread count).
class Rng {
  __extension__ typedef unsigned __int128 u128;

 public:
  /// Seeds the four state words from `seed` with splitmix64.
  explicit Rng(std::uint64_t seed = 0) {
    std::uint64_t x = seed;
    for (auto& s : s_) s = splitmix64(x);
  }

  /// A derived, independent generator (e.g. one per block or per restart): the same
  /// `(seed, stream)` always gives the same generator.
  static Rng for_stream(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t x = seed ^ (0x9E3779B97F4A7C15ULL * (stream + 1));
    return Rng(splitmix64(x));
  }

  /// Next 64 random bits.
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  /// Uniform double in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

  /// Uniform integer in [0, n), unbiased (Lemire's method).
  /// @throws InvalidArgument if n == 0.
  std::uint64_t uniform_int(std::uint64_t n) {
    CHURN_CHECK(n > 0, InvalidArgument, "Rng::uniform_int(): n must be > 0");
    u128 m = static_cast<u128>(next()) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<u128>(next()) * n;
        low = static_cast<std::uint64_t>(m);
      }
    }
    return static_cast<std::uint64_t>(m >> 64);
  }

  /// Standard normal variate (Box-Muller, one value per call).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

  /// Normal variate with mean `mu` and standard deviation `sigma`.
  double normal(double mu, double sigma) { return mu + sigma * normal(); }

  /// True with probability `p`.
  bool bernoulli(double p) { return uniform() < p; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  std::uint64_t s_[4];
};

}  // namespace churn
