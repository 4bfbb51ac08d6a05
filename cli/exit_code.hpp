#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace switchboard::cli {

/// The process exit codes of switchboard-cli.
enum class exit_code : int {
  /// The command succeeded; a watched task completed.
  ok = 0,
  /// A watched task failed, or a tool call failed.
  failed = 1,
  /// The command line is wrong.
  usage = 2,
  /// A watched task was stopped (state `cancelled`).
  stopped = 3,
  /// The server cannot be reached, or the connection was lost.
  unreachable = 4,
  /// The server refused: auth, forbidden, unknown task/kind/tool, bad params.
  refused = 5,
};

/// Ends a command with `code` and a one-line message for stderr.
class failure : public std::runtime_error {
 public:
  /// Creates a failure; `message` says what happened and what to do.
  failure(exit_code code, const std::string& message)
      : std::runtime_error(message), code_(code) {}

  /// The exit code.
  exit_code code() const noexcept {
    return code_;
  }

 private:
  exit_code code_;
};

/// The exit code for a protocol error code (`unknown_task` and the like).
exit_code exit_code_for_error(std::string_view error);

/// What to do about a protocol error code, or "" when nothing helps.
std::string hint_for_error(std::string_view error);

/// The exit code for a task state (`completed`, `failed`, `cancelled`).
exit_code exit_code_for_state(std::string_view state);

} // namespace switchboard::cli
