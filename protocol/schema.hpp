#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <rapidjson/document.h>

namespace switchboard::protocol {

/// A compiled JSON Schema (draft 4), immutable and cheap to copy; safe to
/// use from several threads at once.
class schema {
 public:
  /// Compiles the schema given as JSON text, or returns a one-line reason.
  static std::variant<schema, std::string> compile(std::string_view json);

  /// Returns an empty string when `value` satisfies the schema, otherwise a
  /// short human-readable reason naming the failing keyword and location.
  std::string validate(const rapidjson::Value& value) const;

  /// Returns the schema's JSON text as compiled.
  const std::string& text() const noexcept {
    return *text_;
  }

 private:
  struct impl;
  std::shared_ptr<const impl> impl_;
  std::shared_ptr<const std::string> text_;
};

} // namespace switchboard::protocol
