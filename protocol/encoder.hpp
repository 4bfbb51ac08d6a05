#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/error_code.hpp"
#include "protocol/message_type.hpp"
#include "protocol/records.hpp"

namespace switchboard::protocol {

/// Writes one JSON object; fields are appended in call order. Everything the
/// server writes as JSON goes through this writer (or RapidJSON's).
class object_writer {
 public:
  /// Starts `{`.
  object_writer();

  object_writer(const object_writer&) = delete;
  object_writer& operator=(const object_writer&) = delete;

  /// Adds a string field.
  object_writer& str(std::string_view key, std::string_view value);

  /// Adds a signed integer field.
  object_writer& num(std::string_view key, int64_t value);

  /// Adds an unsigned integer field.
  object_writer& unum(std::string_view key, uint64_t value);

  /// Adds a boolean field.
  object_writer& boolean(std::string_view key, bool value);

  /// Adds a null field.
  object_writer& null(std::string_view key);

  /// Adds a field whose value is already JSON text.
  object_writer& raw(std::string_view key, std::string_view json);

  /// Adds only a key; the next value written through `writer()` is its value.
  object_writer& key(std::string_view key);

  /// Gives access to the underlying writer for arrays and nested objects.
  rapidjson::Writer<rapidjson::StringBuffer>& writer() {
    return writer_;
  }

  /// Closes the object and returns its text.
  std::string finish();

 private:
  rapidjson::StringBuffer buf_;
  rapidjson::Writer<rapidjson::StringBuffer> writer_;
};

/// Writes one protocol message: an object that starts with `type` and, for
/// replies, `reply_to`.
class message_writer : public object_writer {
 public:
  /// Starts `{"type":type` plus `"reply_to":reply_to` when `reply_to` (raw
  /// JSON: a string literal or a number) is not empty.
  explicit message_writer(std::string_view type,
                          std::string_view reply_to = {});

  /// Starts a message of a type of the vocabulary, as above.
  explicit message_writer(message_type type, std::string_view reply_to = {})
      : message_writer(to_string(type), reply_to) {}
};

/// Returns the `hello` message sent on connect.
std::string encode_hello(std::string_view session_id, int64_t heartbeat_ms,
                         std::string_view server);

/// Returns a `heartbeat` message.
std::string encode_heartbeat(int64_t ts);

/// Returns an `error` reply; `reply_to` is raw JSON or empty.
std::string encode_error(std::string_view reply_to, error_code code,
                         std::string_view message);

/// Returns a `tools` reply listing `tools` (or, with `type`
/// `tools_changed` and no `reply_to`, the message that says the list
/// changed).
std::string encode_tools(std::string_view reply_to,
                         const std::vector<tool_info>& tools,
                         message_type type = message_type::tools);

/// Writes `tools` as a JSON array through `w`.
void write_tools(rapidjson::Writer<rapidjson::StringBuffer>& w,
                 const std::vector<tool_info>& tools);

/// Returns a `tasks` reply listing `tasks`, with `next_cursor` when another
/// page follows.
std::string encode_tasks(std::string_view reply_to,
                         const std::vector<task_info>& tasks,
                         std::string_view next_cursor = {});

/// Writes `tasks` as a JSON array through `w`.
void write_tasks(rapidjson::Writer<rapidjson::StringBuffer>& w,
                 const std::vector<task_info>& tasks);

/// Returns the current time in unix milliseconds.
int64_t now_ms();

} // namespace switchboard::protocol
