#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/frame.hpp"
#include "util/split.hpp"

namespace switchboard::transport {

/// A parsed HTTP request, free of Beast types.
struct http_request {
  /// Method in upper case, e.g. "GET".
  std::string method;
  /// Path without the query, e.g. "/api/tasks".
  std::string path;
  /// Raw query string without '?', possibly empty.
  std::string query;
  /// Header fields with lower-case names.
  std::map<std::string, std::string> headers;
  /// The request body (already bounded by the body limit).
  std::string body;
  /// "ip:port" of the peer.
  std::string remote;

  /// Returns the value of header `name` (lower case) or an empty string.
  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i != headers.end() ? i->second : std::string{};
  }

  /// Returns the raw value of query parameter `name`, or nullopt.
  std::optional<std::string> query_param(std::string_view name) const {
    size_t i = 0;
    while (i < query.size()) {
      auto j = query.find('&', i);
      if (j == std::string::npos)
        j = query.size();
      auto kv = std::string_view{query}.substr(i, j - i);
      auto eq = kv.find('=');
      if (kv.substr(0, eq) == name)
        return std::string{eq == std::string_view::npos ? ""
                                                        : kv.substr(eq + 1)};
      i = j + 1;
    }
    return std::nullopt;
  }
};

/// A complete HTTP response.
struct http_response {
  /// Status code, e.g. 200.
  int status = 200;
  /// Value of Content-Type.
  std::string content_type = "application/json";
  /// The body.
  std::string body;
  /// Extra header fields.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// One HTTP request awaiting its answer. Thread-safe; answer exactly once,
/// either with `respond` or with `start_stream` followed by writes and `end`.
class http_exchange {
 public:
  virtual ~http_exchange() = default;

  /// Sends a complete response.
  virtual void respond(http_response res) = 0;

  /// Sends the head of a streamed response (no Content-Length), e.g. SSE.
  virtual void start_stream(http_response head) = 0;

  /// Appends raw bytes to a streamed response. Returns false when the
  /// client is gone or too slow (bounded queue), so the writer can stop.
  virtual bool write(protocol::frame chunk) = 0;

  /// Returns the bytes written to a streamed response and not yet sent.
  virtual size_t queued_bytes() const = 0;

  /// Returns the bound of `queued_bytes` past which `write` fails.
  virtual size_t max_queued_bytes() const = 0;

  /// Ends a streamed response and closes the connection.
  virtual void end() = 0;

  /// Registers a callback run once when the client disconnects.
  virtual void on_closed(std::function<void()> f) = 0;
};

/// Shared handle to an exchange.
using http_exchange_ptr = std::shared_ptr<http_exchange>;

} // namespace switchboard::transport
