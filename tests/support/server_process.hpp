#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sys/types.h>

#include "tests/support/temp_dir.hpp"

namespace switchboard::test {

/// The switchboard binary (SWITCHBOARD_BINARY) running as a child process
/// with `--port=0`; its stdout is captured, its stderr is the test's. Unless
/// `args` name `--data-dir` or `--history`, its history goes to a temporary
/// directory that lives as long as this object.
class server_process {
 public:
  /// Starts the server with `--port=0` followed by `args` and waits up to
  /// `startup_timeout` for its stdout line `listening on http://HOST:PORT`.
  /// Throws std::runtime_error (with the output so far) on failure.
  explicit server_process(
      std::vector<std::string> args = {},
      std::chrono::milliseconds startup_timeout = std::chrono::seconds(20));

  /// Kills the server (SIGKILL) if it still runs.
  ~server_process();

  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;

  /// The port the server listens on.
  uint16_t port() const;

  /// The host from the `listening on` line.
  const std::string& host() const;

  /// The process id.
  pid_t pid() const;

  /// Returns true while the process has not exited.
  bool running();

  /// Sends `sig` to the process.
  void signal(int sig);

  /// Sends SIGTERM and waits up to `timeout` for the exit, then SIGKILL.
  /// Returns the exit code, or 128 + the signal number when a signal
  /// ended the process.
  int terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Sends SIGKILL and waits; returns as `terminate` does.
  int kill();

  /// Waits up to `timeout` for the exit; returns as `terminate` does, or
  /// nullopt when the process still runs.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  /// Everything the server wrote to stdout so far.
  std::string output() const;

  /// Waits up to `timeout` until stdout contains `needle`.
  bool wait_for_output(std::string_view needle,
                       std::chrono::milliseconds timeout);

 private:
  void read_loop();

  std::unique_ptr<temp_dir> data_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int out_fd_ = -1;
  uint16_t port_ = 0;
  std::string host_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
  std::thread reader_;
};

/// Runs the switchboard binary with `args` (no `--port` added) until it
/// exits, its stdin closed; returns the exit code and everything it wrote
/// to stdout and stderr. For servers that must refuse to start.
std::pair<int, std::string> run_to_exit(const std::vector<std::string>& args);

} // namespace switchboard::test
