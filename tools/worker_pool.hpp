#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace switchboard::tools {

/// A bounded pool of threads for blocking work (file I/O, hashing, regex),
/// so that neither CAF's scheduler nor the I/O threads ever block.
class worker_pool {
 public:
  /// Starts `threads` workers with room for `max_queue` waiting jobs; with
  /// zero threads, `submit` runs each job inline (deterministic tests).
  worker_pool(size_t threads, size_t max_queue);

  /// Stops and joins the workers; queued jobs that did not start are run
  /// never.
  ~worker_pool();

  /// Queues `job`; returns false when the queue is full or stopped.
  bool submit(std::function<void()> job);

  /// Stops accepting jobs, finishes running ones and joins the workers.
  void stop();

 private:
  void run();

  size_t max_queue_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

} // namespace switchboard::tools
