#include "protocol/error_code.hpp"

#include <array>

namespace switchboard::protocol {

namespace {

constexpr std::array<std::string_view, error_code_count> names = {
    "none",
    "bad_json",
    "bad_message",
    "unknown_type",
    "too_large",
    "unauthorized",
    "forbidden",
    "rate_limited",
    "overloaded",
    "shutting_down",
    "unknown_task_kind",
    "invalid_params",
    "unknown_task",
    "no_pending_input",
    "invalid_input",
    "unknown_tool",
    "invalid_args",
    "duplicate_call_id",
    "tool_failed",
    "timeout",
    "node_lost",
    "events_expired",
    "internal",
    "tool_timeout",
    "interrupted",
    "storage_unavailable",
};

} // namespace

std::string_view to_string(error_code x) {
  auto i = static_cast<size_t>(x);
  return i < names.size() ? names[i] : "internal";
}

error_code error_code_from_string(std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return static_cast<error_code>(i);
  return error_code::none;
}

int http_status(error_code x) {
  switch (x) {
  case error_code::none: return 200;
  case error_code::bad_json:
  case error_code::bad_message:
  case error_code::unknown_type: return 400;
  case error_code::unauthorized: return 401;
  case error_code::forbidden: return 403;
  case error_code::unknown_task_kind:
  case error_code::unknown_task:
  case error_code::unknown_tool: return 404;
  case error_code::no_pending_input:
  case error_code::duplicate_call_id: return 409;
  case error_code::too_large: return 413;
  case error_code::invalid_params:
  case error_code::invalid_input:
  case error_code::invalid_args: return 422;
  case error_code::rate_limited: return 429;
  case error_code::overloaded:
  case error_code::shutting_down: return 503;
  case error_code::timeout:
  case error_code::tool_timeout: return 504;
  case error_code::tool_failed: return 502;
  case error_code::events_expired: return 410;
  case error_code::storage_unavailable: return 503;
  case error_code::node_lost:
  case error_code::interrupted:
  case error_code::internal: return 500;
  }
  return 500;
}

} // namespace switchboard::protocol
