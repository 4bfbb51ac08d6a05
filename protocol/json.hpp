#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/error_code.hpp"

namespace switchboard::protocol {

/// Limits applied to untrusted JSON text.
struct json_limits {
  /// Maximum size of the text in bytes.
  size_t max_bytes = 1024 * 1024;
  /// Maximum nesting depth of arrays and objects.
  size_t max_depth = 64;
};

/// Outcome of `parse_json`: `code` is `none` on success.
struct parse_status {
  /// `none`, `too_large` or `bad_json`.
  error_code code = error_code::none;
  /// Human-readable reason when `code != none`.
  std::string message;
};

/// Parses untrusted `text` into `doc` with the iterative parser, encoding
/// validation and a depth limit; never recurses on the input's nesting.
parse_status parse_json(std::string_view text, rapidjson::Document& doc,
                        const json_limits& limits = {});

/// Serializes `value` to compact JSON text.
std::string to_json(const rapidjson::Value& value);

/// Returns `s` as a JSON string literal, quotes included.
std::string quote(std::string_view s);

/// Returns an `error` message without `reply_to`, for the transport, which
/// answers some requests before any actor sees them.
std::string error_json(std::string_view code, std::string_view message);

} // namespace switchboard::protocol
