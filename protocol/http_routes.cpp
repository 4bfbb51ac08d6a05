#include "protocol/http_routes.hpp"

namespace switchboard::protocol {

std::string_view to_string(http_operation x) {
  switch (x) {
  case http_operation::start: return "start";
  case http_operation::list_tasks: return "list_tasks";
  case http_operation::get_task: return "get_task";
  case http_operation::events: return "events";
  case http_operation::input: return "input";
  case http_operation::stop: return "stop";
  case http_operation::list_kinds: return "list_kinds";
  case http_operation::list_tools: return "list_tools";
  case http_operation::call_tool: return "call_tool";
  case http_operation::get_status: return "get_status";
  case http_operation::metrics: return "metrics";
  case http_operation::health: return "health";
  case http_operation::other: return "other";
  }
  return "other";
}

namespace {

using op = http_operation;
using ct = command_type;

} // namespace

const std::array<http_route, 16> http_routes{{
    {"GET", "/api/tasks", op::list_tasks, ct::list_tasks},
    {"POST", "/api/tasks", op::start, ct::start, true},
    {"GET", "/api/tasks/{task_id}", op::get_task, std::nullopt},
    {"GET", "/api/tasks/{task_id}/events", op::events, std::nullopt},
    {"POST", "/api/tasks/{task_id}/input", op::input, ct::input, true},
    {"POST", "/api/tasks/{task_id}/stop", op::stop, ct::stop, true, true},
    {"GET", "/api/kinds", op::list_kinds, ct::list_kinds},
    {"GET", "/api/tools", op::list_tools, ct::list_tools},
    {"POST", "/api/tools/{tool}/call", op::call_tool, ct::call_tool, true},
    {"GET", "/api/status", op::get_status, ct::get_status},
    {"GET", "/metrics", op::metrics, std::nullopt},
    {"HEAD", "/metrics", op::metrics, std::nullopt},
    {"GET", "/healthz", op::health, std::nullopt},
    {"HEAD", "/healthz", op::health, std::nullopt},
    {"GET", "/readyz", op::health, std::nullopt},
    {"HEAD", "/readyz", op::health, std::nullopt},
}};

namespace {

// Cuts the next segment of a path that starts with '/'.
std::string_view next_segment(std::string_view& path) {
  path.remove_prefix(1);
  auto end = path.find('/');
  auto seg = path.substr(0, end);
  path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  return seg;
}

// Matches `path` against `pattern`, capturing its placeholders.
bool matches(std::string_view pattern, std::string_view path, http_match& out) {
  std::string task_id, tool;
  while (!pattern.empty() && !path.empty()) {
    auto want = next_segment(pattern);
    auto have = next_segment(path);
    if (want == "{task_id}" && !have.empty())
      task_id = have;
    else if (want == "{tool}" && !have.empty())
      tool = have;
    else if (want != have)
      return false;
  }
  if (!pattern.empty() || !path.empty())
    return false;
  out.task_id = std::move(task_id);
  out.tool = std::move(tool);
  return true;
}

} // namespace

http_match match_route(std::string_view method, std::string_view path) {
  http_match m;
  if (path.empty() || path.front() != '/')
    return m;
  for (auto& r : http_routes) {
    if (!matches(r.pattern, path, m))
      continue;
    if (m.allow.empty())
      m.op = r.op;
    if (m.allow.find(r.method) == std::string::npos)
      m.allow += (m.allow.empty() ? "" : ", ") + std::string{r.method};
    if (r.method == method && !m.route) {
      m.route = &r;
      m.op = r.op;
    }
  }
  return m;
}

} // namespace switchboard::protocol
