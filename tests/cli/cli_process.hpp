#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace switchboard::test {

/// Environment variables for a child: name and value.
using env_list = std::vector<std::pair<std::string, std::string>>;

/// What a finished run of the CLI gave.
struct cli_result {
  /// The exit code, 128 + the signal when a signal ended it, -1 when it
  /// did not end in time (then it was killed).
  int exit_code = -1;
  /// Everything it wrote to stdout.
  std::string out;
  /// Everything it wrote to stderr.
  std::string err;

  /// `out` split into lines (without the newlines).
  std::vector<std::string> lines() const;
};

/// switchboard-cli (SWITCHBOARD_CLI_BINARY) running as a child process with
/// stdin from /dev/null, SWITCHBOARD_URL, SWITCHBOARD_TOKEN and NO_COLOR
/// removed from its environment and `env` added.
class cli_process {
 public:
  /// Starts the CLI with `args`; with `tty`, its stdin, stdout and stderr
  /// are one pseudo-terminal, read as stdout.
  explicit cli_process(const std::vector<std::string>& args, env_list env = {},
                       bool tty = false);

  /// Kills the child (SIGKILL) if it still runs.
  ~cli_process();

  cli_process(const cli_process&) = delete;
  cli_process& operator=(const cli_process&) = delete;

  /// Returns the next line of stdout, or nullopt on timeout or at its end.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  /// Writes `text` to the child's stdin (a pseudo-terminal only: what a
  /// person types).
  void write(const std::string& text);

  /// Reads stdout until what is unread holds `text`, then drops it up to
  /// and including `text` and returns true; false when `timeout` passes
  /// first (or stdout ends).
  bool wait_for(const std::string& text, std::chrono::milliseconds timeout);

  /// Waits up to `timeout` for the exit (killing the child after it) and
  /// returns the result; `out` holds what `read_line` did not return.
  cli_result wait(std::chrono::milliseconds timeout);

 private:
  // Reads what is available until `deadline`; returns false at the end of
  // both streams or at the deadline.
  bool pump(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::optional<int> status_;
};

/// Runs the CLI with `args` to its end (at most `timeout`).
cli_result
run_cli(const std::vector<std::string>& args, env_list env = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(30));

/// Runs the CLI with `args` on a pseudo-terminal to its end.
cli_result run_cli_on_tty(const std::vector<std::string>& args,
                          env_list env = {});

} // namespace switchboard::test
