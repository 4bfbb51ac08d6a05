#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/exit_code.hpp"
#include "cli/session.hpp"

namespace switchboard::cli {

/// `kinds`: lists the task kinds and their params.
exit_code run_kinds(const global_options& options);

/// `tools`: lists the tools and their args.
exit_code run_tools(const global_options& options);

/// Filters of `tasks`.
struct tasks_filter {
  /// A state or a comma-separated list of states, or "".
  std::string state;
  /// A task kind, or "".
  std::string kind;
  /// The most tasks to list (1 to 1000), or 0 for the server's default.
  int limit = 0;
};

/// `tasks`: lists the task history, newest first.
exit_code run_tasks(const global_options& options, const tasks_filter& filter);

/// What `start` starts.
struct start_request {
  /// The task kind.
  std::string kind;
  /// `k=v` words, converted with the kind's params schema.
  std::vector<std::string> pairs;
  /// `--params`: a JSON object, or nullopt.
  std::optional<std::string> params_json;
  /// `--detach`: print the task and return instead of watching.
  bool detach = false;
};

/// How `start` and `watch` treat input requests and the terminal.
struct watch_settings {
  /// `--answers FILE`, or "".
  std::string answers_file;
  /// A live progress line (stdout a terminal, colours on, no `--json`).
  bool live = false;
  /// Input requests asked in place (live, and stdin a terminal).
  bool prompt = false;
};

/// `start`: starts a task and, unless detached, watches it to its end.
exit_code run_start(const global_options& options, const start_request& req,
                    const watch_settings& settings);

/// `watch`: prints a task's events after `after` until its terminal event.
exit_code run_watch(const global_options& options, const std::string& task_id,
                    int64_t after, const watch_settings& settings);

/// `stop`: stops a task (exit 0 once it has ended, whatever its state).
exit_code run_stop(const global_options& options, const std::string& task_id,
                   const std::string& reason);

/// `answer ID [REQUEST_ID] VALUE`: answers an input request; `words` holds
/// the 2 or 3 positional words after the subcommand.
exit_code run_answer(const global_options& options,
                     const std::vector<std::string>& words);

/// What `call` calls.
struct call_request {
  /// The tool.
  std::string tool;
  /// `k=v` words, converted with the tool's schema.
  std::vector<std::string> pairs;
  /// `--args`: a JSON object, or nullopt.
  std::optional<std::string> args_json;
};

/// `call`: calls a tool and prints its result.
exit_code run_call(const global_options& options, const call_request& req);

/// `events`: prints a task's log as far as it goes now.
exit_code run_events(const global_options& options, const std::string& task_id);

/// Turns a JSON value or any other text into a JSON value's text: `text`
/// itself when it parses as JSON, else `text` as a JSON string.
std::string value_from_word(const std::string& text);

} // namespace switchboard::cli
