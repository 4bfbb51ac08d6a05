#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchboard::cli {

/// The outcome of `convert_params`: a JSON object, or why there is none.
struct conversion {
  /// True when `json` holds the converted object.
  bool ok = false;
  /// The params or args object as compact JSON text.
  std::string json;
  /// One line naming the parameter and what the schema allows.
  std::string error;
};

/// Converts `k=v` words into a JSON object typed by `schema` (a JSON Schema
/// of type object, as `list_kinds` and `list_tools` return it): integers,
/// numbers, booleans, enums, strings, arrays (JSON or comma-separated) and
/// objects (JSON). `owner` names the kind or tool in error messages.
conversion convert_params(std::string_view schema,
                          const std::vector<std::string>& pairs,
                          std::string_view owner);

/// Checks that `text` is a JSON object (the `--params`/`--args` option).
conversion object_from_json(std::string_view text, std::string_view option);

} // namespace switchboard::cli
