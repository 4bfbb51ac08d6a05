#include "metrics/histogram.hpp"

#include <limits>

#include <prometheus/client_metric.h>

namespace switchboard::metrics {

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void histogram::collect(prometheus::ClientMetric& out) const {
  auto& h = out.histogram;
  h.bucket.clear();
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    prometheus::ClientMetric::Bucket b;
    b.cumulative_count = total;
    b.upper_bound = i < bounds_.size()
                        ? bounds_[i]
                        : std::numeric_limits<double>::infinity();
    h.bucket.push_back(b);
  }
  h.sample_count = total;
  h.sample_sum = sum_.load(std::memory_order_relaxed);
}

} // namespace switchboard::metrics
