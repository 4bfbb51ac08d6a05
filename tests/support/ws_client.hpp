#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

namespace switchboard::test {

/// Extra header fields for a request, e.g. {{"Origin", "http://x"}}.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// Returns the string member `type` of `doc`, or "" when it has none.
std::string type_of(const rapidjson::Value& doc);

/// A blocking WebSocket client for tests: every call runs the I/O it needs
/// with a deadline, so a misbehaving server fails a test instead of hanging
/// it. Not thread-safe; use one client per thread.
class ws_client {
 public:
  /// Creates a client that is not connected.
  ws_client();

  /// Closes the socket without a close handshake.
  ~ws_client();

  ws_client(const ws_client&) = delete;
  ws_client& operator=(const ws_client&) = delete;

  /// Connects to 127.0.0.1:`port` and upgrades `target` with `headers`;
  /// returns false on failure (see `error` and `handshake_status`).
  bool connect(uint16_t port, std::string target = "/ws",
               header_list headers = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends one text message; returns false on failure or timeout.
  bool send_text(std::string text);

  /// Sends one binary message; returns false on failure or timeout.
  bool send_binary(std::string data);

  /// Returns the next message (text or binary), or nullopt on timeout or
  /// when the connection ended; then `is_open` is false and `close_code`
  /// holds the server's close code, if it sent one. A read that timed out
  /// stays pending and completes in a later call.
  std::optional<std::string> read_text(std::chrono::milliseconds timeout);

  /// Returns the next message parsed as JSON; throws std::runtime_error on
  /// timeout, a closed connection or invalid JSON.
  rapidjson::Document
  read_json(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Like `read_json`, but skips (and records in `skipped`) heartbeats.
  rapidjson::Document
  read_message(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Returns the first message for which `pred` holds; earlier messages are
  /// appended to `skipped`. Throws std::runtime_error when `timeout` (for
  /// the whole call) passes first or the connection ends.
  rapidjson::Document
  read_until(const std::function<bool(const rapidjson::Document&)>& pred,
             std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Returns the first message whose `type` is `type`, skipping others.
  rapidjson::Document
  read_type(const std::string& type,
            std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends `text`, then returns the first message whose `reply_to` equals
  /// the string `id`, skipping others.
  rapidjson::Document
  request(const std::string& text, const std::string& id,
          std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Raw text of the messages that `read_message`/`read_until` skipped.
  const std::vector<std::string>& skipped() const;

  /// Forgets the skipped messages.
  void clear_skipped();

  /// Returns true when the last message returned was binary.
  bool last_was_binary() const;

  /// The code of the server's close frame, or 0 when none arrived.
  uint16_t close_code() const;

  /// The reason of the server's close frame.
  std::string close_reason() const;

  /// Returns true while connected and no close or error was seen.
  bool is_open() const;

  /// Performs the closing handshake with `code` (bounded by `timeout`).
  void close(uint16_t code = 1000,
             std::chrono::milliseconds timeout = std::chrono::seconds(2));

  /// HTTP status of the handshake response (101 on success), 0 if none.
  int handshake_status() const;

  /// Returns header `name` of the handshake response, or "".
  std::string handshake_header(const std::string& name) const;

  /// Describes the last failure.
  const std::string& error() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::test
