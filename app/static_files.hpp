#pragma once

#include <string>
#include <string_view>

#include "transport/http_types.hpp"

namespace switchboard::app {

/// True for requests the web app answers: GET or HEAD of any path that is
/// not an API or operational endpoint (/api/..., /ws, /healthz, /readyz,
/// /metrics).
bool is_static_request(const transport::http_request& req);

/// Returns the Content-Type for a file name, by its extension.
std::string content_type_for(std::string_view file_name);

/// Serves the built web app from `root` (normally web/dist): files with
/// their type, `no-cache` for index.html and long-lived immutable caching for
/// the hashed files under /assets/. A path without an extension that names
/// no file gets index.html (the app routes it); a missing file with an
/// extension gets a 404 JSON error. Never serves anything outside `root`.
/// Answers 503 with build instructions when the app has not been built.
void serve_static(const std::string& root, const transport::http_request& req,
                  const transport::http_exchange_ptr& ex);

} // namespace switchboard::app
