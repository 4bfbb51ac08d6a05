#include "cli/exit_code.hpp"

namespace switchboard::cli {

exit_code exit_code_for_error(std::string_view error) {
  for (auto refused :
       {"unauthorized", "forbidden", "unknown_task", "unknown_task_kind",
        "unknown_tool", "invalid_params", "invalid_args", "invalid_input",
        "no_pending_input", "bad_message", "bad_json", "duplicate_call_id",
        "too_large", "events_expired"})
    if (error == refused)
      return exit_code::refused;
  return exit_code::failed;
}

std::string hint_for_error(std::string_view error) {
  if (error == "unauthorized")
    return "pass a valid --token or set SWITCHBOARD_TOKEN";
  if (error == "forbidden")
    return "the task belongs to another token, or the server does not "
           "answer to this host name";
  if (error == "unknown_task")
    return "list tasks with 'switchboard-cli tasks'";
  if (error == "unknown_task_kind")
    return "list kinds with 'switchboard-cli kinds'";
  if (error == "unknown_tool")
    return "list tools with 'switchboard-cli tools'";
  if (error == "invalid_params")
    return "see the kind's parameters with 'switchboard-cli kinds'";
  if (error == "invalid_args")
    return "see the tool's arguments with 'switchboard-cli tools'";
  if (error == "invalid_input")
    return "answer with a value the request's schema allows";
  if (error == "no_pending_input")
    return "the task is not waiting for that answer; see "
           "'switchboard-cli events ID'";
  if (error == "overloaded" || error == "shutting_down" ||
      error == "rate_limited")
    return "try again later";
  return {};
}

exit_code exit_code_for_state(std::string_view state) {
  if (state == "failed")
    return exit_code::failed;
  if (state == "cancelled")
    return exit_code::stopped;
  return exit_code::ok;
}

} // namespace switchboard::cli
