#include "tools/worker_pool.hpp"

namespace switchboard::tools {

worker_pool::worker_pool(size_t threads, size_t max_queue)
    : max_queue_(max_queue) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() {
  stop();
}

bool worker_pool::submit(std::function<void()> job) {
  bool inline_run = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopped_)
      return false;
    inline_run = threads_.empty();
    if (!inline_run) {
      if (jobs_.size() >= max_queue_)
        return false;
      jobs_.push_back(std::move(job));
    }
  }
  // Without threads the job runs here, outside the lock, so that it may
  // submit more work; exceptions are swallowed as on a worker thread.
  if (inline_run) {
    try {
      job();
    } catch (...) {
    }
    return true;
  }
  cv_.notify_one();
  return true;
}

void worker_pool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopped_ = true;
    jobs_.clear();
    threads.swap(threads_);
  }
  cv_.notify_all();
  for (auto& t : threads) {
    // A job that stops its own pool cannot join itself.
    if (t.get_id() == std::this_thread::get_id())
      t.detach();
    else
      t.join();
  }
}

void worker_pool::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [this] { return stopped_ || !jobs_.empty(); });
      if (stopped_)
        return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    // An escaping exception would terminate the process; jobs report their
    // own errors by message.
    try {
      job();
    } catch (...) {
    }
  }
}

} // namespace switchboard::tools
