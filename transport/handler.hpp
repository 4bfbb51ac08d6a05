#pragma once

#include <optional>

#include "transport/connection.hpp"
#include "transport/http_types.hpp"

namespace switchboard::transport {

/// What the server does with traffic; implemented by the application on
/// top of the actors, so that no Beast type leaks past `transport/`.
class handler {
 public:
  virtual ~handler() = default;

  /// Called on each accepted WebSocket upgrade of `/ws`; returns where the
  /// connection's inbound messages go.
  virtual inbound_ptr on_websocket(connection_ptr conn,
                                   const http_request& upgrade) = 0;

  /// Called for every request, WebSocket upgrades included, before any
  /// routing; a response refuses the request with it (the connection then
  /// closes), nothing lets it through.
  virtual std::optional<http_response> screen(const http_request&) {
    return std::nullopt;
  }

  /// Called for every other HTTP request.
  virtual void on_http(http_request req, http_exchange_ptr ex) = 0;
};

} // namespace switchboard::transport
