#pragma once

#include <string>
#include <string_view>

#include <caf/error.hpp>

#include "protocol/error_code.hpp"
#include "protocol/message_type.hpp"

namespace switchboard::api {

/// The answer to one command, built once and rendered by either door: as a
/// WebSocket message (the body as is) or as an HTTP response (the body with
/// the status of `http_status`).
struct reply {
  /// The message type of the body.
  protocol::message_type type = protocol::message_type::error;
  /// The error code of an `error` reply; `none` otherwise.
  protocol::error_code code = protocol::error_code::none;
  /// The JSON text of the message (with `reply_to` when the client sent an
  /// `id`).
  std::string body;
  /// The path of a resource the command created, or empty.
  std::string created;
};

/// Returns a success reply of `type` with its JSON text.
reply success(protocol::message_type type, std::string body);

/// Returns an `error` reply to `reply_to` (raw JSON, or empty).
reply failure(std::string_view reply_to, protocol::error_code code,
              std::string_view message);

/// Returns the `error` reply for an error an actor answered with.
reply failure(std::string_view reply_to, const caf::error& err);

/// The status table: 201 for a reply that created a resource, 200 for other
/// successes, and for errors the status PROTOCOL.md assigns to the code.
int http_status(const reply& r);

} // namespace switchboard::api
