#pragma once

#include <string_view>

#include "metrics/registry.hpp"
#include "transport/http_types.hpp"

namespace switchboard::metrics {

/// Names the API operation of an HTTP request for the `type` label:
/// start, list_tasks, get_task, events, input, stop, list_tools, call_tool,
/// metrics, health, or other.
std::string_view http_operation(std::string_view method, std::string_view path);

/// Counts the request as received and returns an exchange that counts the
/// response when it is sent (by the JSON `type` of its body, else by
/// `operation`) and, for error bodies, the protocol error by code. Returns
/// `ex` itself when `reg` is null.
transport::http_exchange_ptr count_http(const registry_ptr& reg,
                                        std::string_view operation,
                                        transport::http_exchange_ptr ex);

} // namespace switchboard::metrics
