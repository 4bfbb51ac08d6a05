#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/command.hpp"

namespace switchboard::protocol {

/// What a request of the HTTP API asks for; also its metrics label.
enum class http_operation : uint8_t {
  start,
  list_tasks,
  get_task,
  events,
  input,
  stop,
  list_kinds,
  list_tools,
  call_tool,
  get_status,
  metrics,
  health,
  /// No route matches the path.
  other,
};

/// Every operation, in declaration order.
inline constexpr std::array<http_operation, 13> all_http_operations{
    http_operation::start,      http_operation::list_tasks,
    http_operation::get_task,   http_operation::events,
    http_operation::input,      http_operation::stop,
    http_operation::list_kinds, http_operation::list_tools,
    http_operation::call_tool,  http_operation::get_status,
    http_operation::metrics,    http_operation::health,
    http_operation::other,
};

/// Returns the name of `x`, e.g. "get_task".
std::string_view to_string(http_operation x);

/// One row of the route table (PROTOCOL.md, "HTTP and SSE").
struct http_route {
  /// The method, e.g. "POST".
  std::string_view method;
  /// The path; `{task_id}` and `{tool}` match one non-empty segment.
  std::string_view pattern;
  /// What the route does.
  http_operation op;
  /// The command it decodes into, if it is one of the shared commands.
  std::optional<command_type> command;
  /// True when the request carries a JSON object body (absent: `{}` if
  /// `empty_body` is set, refused otherwise).
  bool body = false;
  /// True when an empty body stands for `{}`.
  bool empty_body = false;
};

/// The route table: every endpoint of the HTTP API.
extern const std::array<http_route, 16> http_routes;

/// A request matched against the route table.
struct http_match {
  /// The matching route, or null when none matches method and path.
  const http_route* route = nullptr;
  /// What the request asks for (the matching route's operation; for a
  /// method the path does not allow, that of the path's first route; or
  /// `other`), for metrics.
  http_operation op = http_operation::other;
  /// The methods the path allows, e.g. "GET, POST" (empty: no such path).
  std::string allow;
  /// The `{task_id}` segment, if any.
  std::string task_id;
  /// The `{tool}` segment, if any.
  std::string tool;
};

/// Matches a method and a path (without query) against the route table.
http_match match_route(std::string_view method, std::string_view path);

} // namespace switchboard::protocol
