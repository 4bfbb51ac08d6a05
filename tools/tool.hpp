#pragma once

#include <functional>
#include <string>
#include <vector>

#include <rapidjson/document.h>

#include "protocol/error_code.hpp"

namespace switchboard::tools {

class workspace;

/// What a tool returns: a JSON result, or an error code with a reason.
struct outcome {
  /// `none` on success, otherwise usually `tool_failed` or `invalid_args`.
  protocol::error_code code = protocol::error_code::none;
  /// Compact JSON text of the result when `code == none`.
  std::string json;
  /// Human-readable reason when `code != none`.
  std::string message;

  /// Returns a successful outcome carrying `json`.
  static outcome ok(std::string json) {
    return {protocol::error_code::none, std::move(json), {}};
  }

  /// Returns a failed outcome.
  static outcome fail(protocol::error_code code, std::string message) {
    return {code, {}, std::move(message)};
  }
};

/// Signature of a tool's implementation; `args` already passed the schema.
using tool_fn =
    std::function<outcome(const rapidjson::Value& args, const workspace&)>;

/// A named, callable function with a JSON Schema (draft 4) for its args.
struct tool {
  /// Unique name, e.g. "fs.list".
  std::string name;
  /// One sentence for people and for clients listing tools.
  std::string description;
  /// JSON Schema (draft 4) of the arguments object, as JSON text.
  std::string schema;
  /// True when the tool blocks (I/O, CPU) and must run on the worker pool.
  bool blocking = true;
  /// The implementation.
  tool_fn run;
};

} // namespace switchboard::tools
