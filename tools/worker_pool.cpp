#include "tools/worker_pool.hpp"

#include <algorithm>

namespace switchboard::tools {

worker_pool::worker_pool(size_t threads, size_t max_queue)
    : max_queue_(max_queue),
      per_key_limit_(std::max<size_t>(1, threads > 1 ? threads - 1 : 1)) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i)
    threads_.emplace_back([this] { run(); });
}

worker_pool::~worker_pool() {
  stop();
}

bool worker_pool::submit(std::function<void()> fn, std::string key,
                         std::shared_ptr<cancel_token> token) {
  bool inline_run = false;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (stopped_)
      return false;
    inline_run = threads_.empty();
    if (!inline_run) {
      if (jobs_.size() >= max_queue_)
        return false;
      jobs_.push_back(job{std::move(fn), std::move(key), std::move(token)});
    }
  }
  // Without threads the job runs here, outside the lock, so that it may
  // submit more work; exceptions are swallowed as on a worker thread.
  if (inline_run) {
    try {
      fn();
    } catch (...) {
    }
    return true;
  }
  // Any idle worker may be the one allowed to take this key's job.
  cv_.notify_all();
  return true;
}

void worker_pool::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopped_ = true;
    jobs_.clear();
    // Running jobs poll their tokens, so joining below takes about one
    // chunk of work rather than the rest of a long call.
    for (auto& t : running_tokens_)
      t->cancel();
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

std::deque<worker_pool::job>::iterator worker_pool::next_runnable() {
  return std::find_if(jobs_.begin(), jobs_.end(), [this](const job& j) {
    if (j.key.empty())
      return true;
    auto i = running_by_key_.find(j.key);
    return i == running_by_key_.end() || i->second < per_key_limit_;
  });
}

void worker_pool::run() {
  for (;;) {
    job j;
    std::list<std::shared_ptr<cancel_token>>::iterator token_pos;
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard,
               [this] { return stopped_ || next_runnable() != jobs_.end(); });
      if (stopped_)
        return;
      auto i = next_runnable();
      j = std::move(*i);
      jobs_.erase(i);
      if (!j.key.empty())
        ++running_by_key_[j.key];
      if (j.token)
        token_pos = running_tokens_.insert(running_tokens_.end(), j.token);
    }
    // An escaping exception would terminate the process; jobs report their
    // own errors by message.
    try {
      j.run();
    } catch (...) {
    }
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!j.key.empty()) {
        auto i = running_by_key_.find(j.key);
        if (i != running_by_key_.end() && --i->second == 0)
          running_by_key_.erase(i);
      }
      if (j.token)
        running_tokens_.erase(token_pos);
    }
    // A job of a key that was at its limit may be runnable now.
    cv_.notify_all();
  }
}

} // namespace switchboard::tools
