#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cli/answers.hpp"
#include "cli/exit_code.hpp"
#include "cli/session.hpp"

namespace switchboard::cli {

/// How `follow_task` shows events and answers input requests.
struct follow_mode {
  /// A live progress line with the other events printed above it (stdout
  /// a terminal, colours on, no `--json`).
  bool live = false;
  /// Input requests are asked on the terminal (live, stdin a terminal).
  bool prompt = false;
  /// `--answers`: answers input requests first, or null.
  const answer_book* answers = nullptr;
};

/// Prints the events of `task_id` with a seq above `after` until its
/// terminal event and returns the exit code for how the task ended.
/// `connected` is a session already subscribed to the task (by `start` or
/// `subscribe`). Input requests are answered from `mode.answers`, else
/// asked on the terminal with `mode.prompt`, else left to `answer`. A lost
/// connection is retried with backoff (200 ms doubling to 5 s) for
/// `reconnect_for` of the options, resubscribing after the last seq
/// printed, so no seq is printed twice or skipped; then it throws
/// `failure` (unreachable) with the command that resumes.
exit_code follow_task(const global_options& options, const follow_mode& mode,
                      std::unique_ptr<session> connected,
                      const std::string& task_id, int64_t after);

} // namespace switchboard::cli
