#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "protocol/error_code.hpp"

namespace switchboard::tools {

class workspace;

/// What a tool returns: a JSON result, or an error code with a reason.
struct outcome {
  /// `none` on success, otherwise usually `tool_failed` or `invalid_args`.
  protocol::error_code code = protocol::error_code::none;
  /// Compact JSON text of the result when `code == none`.
  std::string json;
  /// Human-readable reason when `code != none`.
  std::string message;

  /// Returns a successful outcome carrying `json`.
  static outcome ok(std::string json) {
    return {protocol::error_code::none, std::move(json), {}};
  }

  /// Returns a failed outcome.
  static outcome fail(protocol::error_code code, std::string message) {
    return {code, {}, std::move(message)};
  }
};

/// Bytes a single call may read from files by default (1 GiB).
inline constexpr uint64_t default_max_call_bytes = uint64_t{1} << 30;

/// What bounds one tool call: a cancellation flag, a deadline and a budget
/// of file bytes. Tools poll `cancelled()` between chunks and between files;
/// `cancel()` may be called from any thread.
class cancel_token {
 public:
  /// The clock of deadlines.
  using clock = std::chrono::steady_clock;

  /// Creates a token without deadline and with the default byte budget.
  cancel_token() = default;

  /// Creates a token that expires at `deadline` with a budget of `max_bytes`.
  explicit cancel_token(clock::time_point deadline,
                        uint64_t max_bytes = default_max_call_bytes)
      : deadline_ns_(deadline.time_since_epoch().count()),
        max_bytes_(max_bytes) {}

  cancel_token(const cancel_token&) = delete;
  cancel_token& operator=(const cancel_token&) = delete;

  /// Asks the call to stop as soon as it can.
  void cancel() noexcept {
    cancelled_.store(true, std::memory_order_relaxed);
  }

  /// Returns true after `cancel()` or once the deadline has passed.
  bool cancelled() const noexcept {
    return cancelled_.load(std::memory_order_relaxed) || expired();
  }

  /// Returns true when the call was cancelled explicitly (not by deadline).
  bool cancel_requested() const noexcept {
    return cancelled_.load(std::memory_order_relaxed);
  }

  /// Returns true once the deadline has passed.
  bool expired() const noexcept {
    auto d = deadline_ns_.load(std::memory_order_relaxed);
    return d != no_deadline && clock::now().time_since_epoch().count() >= d;
  }

  /// Sets the deadline.
  void set_deadline(clock::time_point t) noexcept {
    deadline_ns_.store(t.time_since_epoch().count(), std::memory_order_relaxed);
  }

  /// Returns the most file bytes the call may read.
  uint64_t max_bytes() const noexcept {
    return max_bytes_;
  }

  /// Sets the most file bytes the call may read.
  void set_max_bytes(uint64_t n) noexcept {
    max_bytes_ = n;
  }

  /// Returns the failed outcome of a call that stopped because of this
  /// token: `tool_timeout` past the deadline, `tool_failed` when cancelled.
  outcome stopped() const;

 private:
  static constexpr clock::rep no_deadline = INT64_MAX;

  std::atomic<bool> cancelled_{false};
  std::atomic<clock::rep> deadline_ns_{no_deadline};
  uint64_t max_bytes_ = default_max_call_bytes;
};

/// Signature of a tool's implementation; `args` already passed the schema.
/// The tool returns `token.stopped()` soon after `token.cancelled()` turns
/// true.
using tool_fn = std::function<outcome(const rapidjson::Value& args,
                                      const workspace&, const cancel_token&)>;

/// A named, callable function with a JSON Schema (draft 4) for its args.
struct tool {
  /// Unique name, e.g. "fs.list".
  std::string name;
  /// One sentence for people and for clients listing tools.
  std::string description;
  /// JSON Schema (draft 4) of the arguments object, as JSON text.
  std::string schema;
  /// True when the tool blocks (I/O, CPU) and must run on the worker pool.
  bool blocking = true;
  /// The implementation.
  tool_fn run;
};

} // namespace switchboard::tools
