#pragma once

#include <optional>
#include <string>

#include <rapidjson/document.h>

#include "cli/params.hpp"

namespace switchboard::cli {

/// Converts what a person typed for an input request with JSON Schema
/// `schema`: for an `enum` the choice's number or the value itself, for a
/// boolean y/n (or yes/no, true/false), numbers and strings checked against
/// the schema. `json` holds the value, or `error` says what it takes.
conversion typed_answer(const rapidjson::Value& schema,
                        const std::string& text);

/// Asks input request `request` (an `input_request` event) on the terminal:
/// its prompt, an enum as numbered choices, then reads lines from stdin
/// until one fits the schema. Returns the value as JSON text, or nullopt
/// when stdin ends.
std::optional<std::string> ask_on_terminal(const rapidjson::Value& request);

} // namespace switchboard::cli
