#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace switchboard::log {

/// How much is logged: each level includes the ones after it.
enum class level : uint8_t { debug, info, warn, error, off };

/// How a line looks: `text` for people, `json` (one object per line) for
/// log collectors.
enum class format : uint8_t { text, json };

/// One named value of a log line.
struct field {
  /// The field's name.
  std::string_view key;
  /// The field's value.
  std::variant<std::string_view, int64_t, uint64_t, double, bool> value;
};

/// Sets the level and format of the process-wide logger (stderr). Until
/// called, the logger writes `info` and above as text.
void configure(level lvl, format fmt);

/// Parses "debug", "info", "warn", "error" or "off".
std::optional<level> parse_level(std::string_view name);

/// Parses "text" or "json".
std::optional<format> parse_format(std::string_view name);

/// True when lines of `lvl` are written.
bool enabled(level lvl);

/// Formats the line `write` would log, without the text format's time and
/// level prefix.
std::string render(level lvl, format fmt, std::string_view message,
                   std::initializer_list<field> fields);

/// Writes one line: `message` (a short, fixed phrase such as "task ended")
/// and its fields. Thread-safe; a no-op below the configured level.
void write(level lvl, std::string_view message,
           std::initializer_list<field> fields = {});

/// Writes a `debug` line.
inline void debug(std::string_view message,
                  std::initializer_list<field> fields = {}) {
  write(level::debug, message, fields);
}

/// Writes an `info` line.
inline void info(std::string_view message,
                 std::initializer_list<field> fields = {}) {
  write(level::info, message, fields);
}

/// Writes a `warn` line.
inline void warn(std::string_view message,
                 std::initializer_list<field> fields = {}) {
  write(level::warn, message, fields);
}

/// Writes an `error` line.
inline void error(std::string_view message,
                  std::initializer_list<field> fields = {}) {
  write(level::error, message, fields);
}

} // namespace switchboard::log
