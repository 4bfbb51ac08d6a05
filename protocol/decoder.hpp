#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/command.hpp"
#include "protocol/error_code.hpp"
#include "protocol/json.hpp"

namespace switchboard::protocol {

/// Why a client message was refused, with the `id` to reply to if known.
struct decode_error {
  /// The protocol error code.
  error_code code;
  /// The reason for people.
  std::string message;
  /// The client's `id` as raw JSON, or empty.
  std::string id;
};

/// Parses and validates one client text message.
std::variant<command, decode_error> decode(std::string_view text,
                                           const json_limits& limits = {});

/// Validates the fields of a command of type `type` held by `obj` (a
/// message without its `type`, or an HTTP body with the path's names added)
/// and replies to `id` (raw JSON or empty) on failure.
std::variant<command, decode_error>
decode_fields(command_type type, const rapidjson::Value& obj, std::string id);

} // namespace switchboard::protocol
