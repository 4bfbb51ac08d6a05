#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace prometheus {
struct ClientMetric;
} // namespace prometheus

namespace switchboard::metrics {

/// A Prometheus histogram without locks: one relaxed atomic per bucket and
/// an atomic sum. prometheus-cpp 1.0's `Histogram::Observe` takes a mutex;
/// this one only does two atomic additions per observation. A scrape may
/// see an observation in its bucket before its sum (never a torn count:
/// the count is the sum of the buckets).
class histogram {
 public:
  /// Creates a histogram with the given upper bounds (ascending, without
  /// +Inf).
  explicit histogram(std::vector<double> bounds);

  /// Records one observation.
  void observe(double value) noexcept {
    auto i = static_cast<size_t>(
        std::lower_bound(bounds_.begin(), bounds_.end(), value) -
        bounds_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(value, std::memory_order_relaxed);
  }

  /// Fills the histogram part of `out` (cumulative buckets, +Inf last).
  void collect(prometheus::ClientMetric& out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

} // namespace switchboard::metrics
