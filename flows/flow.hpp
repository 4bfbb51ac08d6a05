#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <rapidjson/document.h>

#include "protocol/error_code.hpp"

namespace switchboard::tools {
class workspace;
} // namespace switchboard::tools

namespace switchboard::flows {

/// Thrown into a flow at its next suspension point when the task is stopped;
/// flows let it pass so that their cleanup runs.
struct flow_cancelled {
  /// The stop reason.
  std::string reason;
};

/// Thrown by (or into) a flow to end its task with an `error` event.
struct flow_failure {
  /// The protocol error code of the `error` event.
  protocol::error_code code;
  /// The reason for people.
  std::string message;
};

/// A coroutine that runs a flow (or a part of one) and returns its result as
/// JSON text. Awaiting a `flow` runs it as a sub-flow.
class flow {
 public:
  /// The coroutine's promise.
  struct promise_type {
    /// The JSON text given to `co_return`.
    std::string result;
    /// The exception that ended the coroutine, if any.
    std::exception_ptr error;
    /// The flow awaiting this one as a sub-flow, resumed at its end.
    std::coroutine_handle<> continuation;

    /// Returns the `flow` that owns the new coroutine.
    flow get_return_object() {
      return flow{handle::from_promise(*this)};
    }

    /// Creates the coroutine suspended: the task starts it.
    std::suspend_always initial_suspend() noexcept {
      return {};
    }

    /// Resumes the awaiting flow, if any, once this one ended.
    struct final_awaiter {
      /// Always suspends.
      bool await_ready() noexcept {
        return false;
      }
      /// Transfers control to the continuation, or to nothing.
      std::coroutine_handle<>
      await_suspend(std::coroutine_handle<promise_type> h) noexcept {
        if (auto c = h.promise().continuation)
          return c;
        return std::noop_coroutine();
      }
      /// Never resumed.
      void await_resume() noexcept {}
    };

    /// Keeps the frame after the end, for the result to be read.
    final_awaiter final_suspend() noexcept {
      return {};
    }

    /// Stores the result of `co_return`.
    void return_value(std::string value) {
      result = std::move(value);
    }

    /// Stores the exception that ended the coroutine.
    void unhandled_exception() {
      error = std::current_exception();
    }
  };

  /// The coroutine handle type.
  using handle = std::coroutine_handle<promise_type>;

  /// Creates a flow without a coroutine.
  flow() = default;

  /// Takes the coroutine of `other`.
  flow(flow&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}

  /// Destroys this coroutine and takes the one of `other`.
  flow& operator=(flow&& other) noexcept {
    if (this != &other) {
      reset();
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }

  /// Destroys the coroutine frame.
  ~flow() {
    reset();
  }

  /// Returns whether the coroutine ran to its end.
  bool done() const noexcept {
    return !h_ || h_.done();
  }

  /// Returns whether this holds a coroutine.
  explicit operator bool() const noexcept {
    return static_cast<bool>(h_);
  }

  /// Starts the coroutine (it is created suspended).
  void start() {
    h_.resume();
  }

  /// Returns the promise, to read the result or exception once done.
  promise_type& promise() {
    return h_.promise();
  }

  /// Destroys the coroutine frame, running the destructors of its locals.
  void reset() noexcept {
    if (h_)
      std::exchange(h_, nullptr).destroy();
  }

  // -- awaiting a sub-flow ----------------------------------------------------

  /// Always suspends the awaiting flow.
  bool await_ready() const noexcept {
    return false;
  }

  /// Runs this flow, then resumes `parent`.
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> parent) {
    h_.promise().continuation = parent;
    return h_;
  }

  /// Returns the sub-flow's result or rethrows its exception.
  std::string await_resume() {
    auto& p = h_.promise();
    if (p.error)
      std::rethrow_exception(p.error);
    return std::move(p.result);
  }

 private:
  explicit flow(handle h) : h_(h) {}

  handle h_;
};

/// The answer of a tool call as a flow sees it.
struct tool_reply {
  /// Whether the tool succeeded.
  bool ok = false;
  /// The result as JSON text when `ok`.
  std::string result;
  /// The error code when not `ok`.
  protocol::error_code code = protocol::error_code::none;
  /// The error message when not `ok`.
  std::string message;
};

class context;

/// What a flow waits for; at most one wait is pending per flow.
struct wait_slot {
  /// The suspended (innermost) coroutine, or null.
  std::coroutine_handle<> handle;
  /// The reply of a tool call.
  tool_reply reply;
  /// The value of an input (JSON text).
  std::string value;
  /// Set when the wait ended in a failure (e.g. input timeout).
  std::optional<flow_failure> failure;
};

/// The task actor's side of a flow: implemented by the task, used by
/// `context`. All calls happen on the task actor's thread.
class host {
 public:
  /// Destroys the host.
  virtual ~host() = default;

  /// Appends a `progress` event; `total` < 0 means unknown.
  virtual void progress(int64_t step, int64_t total,
                        std::string_view message) = 0;

  /// Appends a `log` event.
  virtual void log(std::string_view level, std::string_view message) = 0;

  /// Starts a tool call; the host fills `slot.reply` and resumes later.
  virtual void call_tool(std::string tool, std::string args,
                         wait_slot& slot) = 0;

  /// Sends an input request (`context`: a JSON object saying what the
  /// question is about, or empty); the host fills `slot.value` (or
  /// `failure`) and resumes later.
  virtual void ask(std::string prompt, std::string schema,
                   std::chrono::milliseconds timeout, std::string context,
                   wait_slot& slot) = 0;

  /// Resumes the flow after `delay`.
  virtual void sleep(std::chrono::milliseconds delay, wait_slot& slot) = 0;

  /// Returns the stop reason once the task was asked to stop.
  virtual const std::optional<std::string>& stop_requested() const = 0;
};

/// The API a flow uses: report, call tools, ask people, sleep. Suspension
/// points throw `flow_cancelled` once the task is stopped.
class context {
 public:
  /// Creates a context for a task's flow.
  context(host& h, std::string task_id, const rapidjson::Value& params,
          const tools::workspace& ws)
      : host_(h),
        task_id_(std::move(task_id)),
        alloc_(256),
        params_(&alloc_, 0),
        workspace_(ws) {
    // A copy into a small pool: a parsed Document keeps a 64 KiB chunk,
    // which would dominate the memory of a waiting task.
    params_.CopyFrom(params, alloc_);
  }

  /// Returns the task id.
  const std::string& task_id() const noexcept {
    return task_id_;
  }

  /// Returns the validated params (defaults filled in).
  const rapidjson::Document& params() const noexcept {
    return params_;
  }

  /// Returns the workspace the flow may read.
  const tools::workspace& workspace() const noexcept {
    return workspace_;
  }

  /// Reports progress; `total` < 0 means unknown.
  void progress(int64_t step, int64_t total, std::string_view message) {
    host_.progress(step, total, message);
  }

  /// Appends a log line.
  void log(std::string_view level, std::string_view message) {
    host_.log(level, message);
  }

  /// The awaiter returned by the suspending calls.
  template<class Start, class Result>
  struct awaiter {
    /// The flow's context.
    context& ctx;
    /// Starts the wait on the host.
    Start start;
    /// Takes the value out of the wait slot.
    Result result;

    /// Always suspends (unless stopped, see `await_suspend`).
    bool await_ready() const noexcept {
      return false;
    }

    /// Starts the wait, or resumes at once when the task is stopped.
    bool await_suspend(std::coroutine_handle<> h) {
      // A stopped flow does not start new work: resume at once and throw.
      if (ctx.host_.stop_requested())
        return false;
      ctx.slot_ = wait_slot{};
      ctx.slot_.handle = h;
      start(ctx.slot_);
      return true;
    }

    /// Returns the value, or throws `flow_cancelled` or the wait's failure.
    auto await_resume() {
      ctx.slot_.handle = nullptr;
      if (auto& reason = ctx.host_.stop_requested())
        throw flow_cancelled{*reason};
      if (ctx.slot_.failure)
        throw *ctx.slot_.failure;
      return result(ctx.slot_);
    }
  };

  /// Calls a registry tool with args (JSON object text); never throws for a
  /// tool's failure, which comes back in the reply.
  auto call_tool(std::string tool, std::string args) {
    auto start = [this, tool = std::move(tool),
                  args = std::move(args)](wait_slot& s) mutable {
      host_.call_tool(std::move(tool), std::move(args), s);
    };
    auto result = [](wait_slot& s) { return std::move(s.reply); };
    return awaiter<decltype(start), decltype(result)>{*this, std::move(start),
                                                      result};
  }

  /// Asks a person for a value matching `schema` (JSON Schema text); returns
  /// the value as JSON text or throws `flow_failure{timeout}`. `context`, a
  /// JSON object (text), tells clients what the question is about (the
  /// request's `context` field); empty for none.
  auto ask(std::string prompt, std::string schema,
           std::chrono::milliseconds timeout, std::string context = {}) {
    auto start = [this, prompt = std::move(prompt), schema = std::move(schema),
                  timeout, context = std::move(context)](wait_slot& s) mutable {
      host_.ask(std::move(prompt), std::move(schema), timeout,
                std::move(context), s);
    };
    auto result = [](wait_slot& s) { return std::move(s.value); };
    return awaiter<decltype(start), decltype(result)>{*this, std::move(start),
                                                      result};
  }

  /// Suspends the flow for `delay`.
  auto sleep(std::chrono::milliseconds delay) {
    auto start = [this, delay](wait_slot& s) { host_.sleep(delay, s); };
    auto result = [](wait_slot&) {};
    return awaiter<decltype(start), decltype(result)>{*this, std::move(start),
                                                      result};
  }

  /// Returns the current wait, for the host.
  wait_slot& slot() noexcept {
    return slot_;
  }

 private:
  host& host_;
  std::string task_id_;
  rapidjson::MemoryPoolAllocator<> alloc_;
  rapidjson::Document params_;
  const tools::workspace& workspace_;
  wait_slot slot_;
};

} // namespace switchboard::flows
