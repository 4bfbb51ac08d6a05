#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tools/tool.hpp"

namespace switchboard::tools {

/// A bounded pool of threads for blocking work (file I/O, hashing, regex),
/// so that neither CAF's scheduler nor the I/O threads ever block. No single
/// key (caller) may occupy every thread: with N > 1 threads a key runs at
/// most N - 1 jobs at once, and its further jobs wait while other keys'
/// jobs overtake them.
class worker_pool {
 public:
  /// Starts `threads` workers with room for `max_queue` waiting jobs; with
  /// zero threads, `submit` runs each job inline (deterministic tests).
  worker_pool(size_t threads, size_t max_queue);

  /// Stops and joins the workers, cancelling the running jobs' tokens;
  /// queued jobs that did not start are run never.
  ~worker_pool();

  /// Queues `job` for the caller `key` (empty: no per-key bound); `token`,
  /// when given, is cancelled by `stop`. Returns false when the queue is
  /// full or stopped.
  bool submit(std::function<void()> job, std::string key = {},
              std::shared_ptr<cancel_token> token = nullptr);

  /// Stops accepting jobs, drops queued ones, cancels the tokens of running
  /// ones and joins the workers.
  void stop();

  /// Returns the most jobs one key may run at once.
  size_t per_key_limit() const noexcept {
    return per_key_limit_;
  }

 private:
  struct job {
    std::function<void()> run;
    std::string key;
    std::shared_ptr<cancel_token> token;
  };

  void run();

  // Returns the first queued job whose key has room, or end(); needs mtx_.
  std::deque<job>::iterator next_runnable();

  size_t max_queue_;
  size_t per_key_limit_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<job> jobs_;
  std::map<std::string, size_t> running_by_key_;
  std::list<std::shared_ptr<cancel_token>> running_tokens_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

} // namespace switchboard::tools
