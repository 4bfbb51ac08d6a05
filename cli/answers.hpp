#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

namespace switchboard::cli {

/// The answers of `--answers FILE`: a JSON object whose keys pick input
/// requests and whose values answer them. A key is a `request_id`
/// (`"r-1"`), `FIELD=VALUE` for a request whose `context` (or the request
/// itself) has that value at that dotted path
/// (`"finding.rule=aws_access_key"`), or
/// `"*"` for any request. A value is the answer as JSON, or the policy
/// `"first"` (the first value of the request's `enum`) or `"skip"` (leave
/// the request to someone else).
class answer_book {
 public:
  /// Parses the file's `text`; throws `failure` (usage) naming `file`.
  static answer_book parse(std::string_view text, const std::string& file);

  /// Reads and parses `file`; throws `failure` (usage).
  static answer_book load(const std::string& file);

  /// The answer (JSON text) to `request` (an `input_request` event), or
  /// nullopt when no key picks it or its policy says to skip it.
  std::optional<std::string> answer_for(const rapidjson::Value& request) const;

 private:
  rapidjson::Document doc_;
};

} // namespace switchboard::cli
