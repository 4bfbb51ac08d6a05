#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "cli/connection.hpp"

namespace switchboard::cli {

/// The options every subcommand shares.
struct global_options {
  /// The server's URL (`--server`, `SWITCHBOARD_URL`).
  std::string server = "http://127.0.0.1:8080";
  /// The bearer token, or "" (`--token`, `SWITCHBOARD_TOKEN`).
  std::string token;
  /// One JSON object per line on stdout (`--json`).
  bool json = false;
  /// ANSI colours in human-readable output.
  bool color = false;
  /// How long `start` and `watch` try to reconnect after losing the
  /// connection (`--reconnect-for`); zero gives up at once.
  std::chrono::milliseconds reconnect_for{30000};
};

/// One message from the server: its text as sent and parsed.
struct message {
  /// The text exactly as the server sent it.
  std::string raw;
  /// The parsed text (an object).
  rapidjson::Document doc;

  /// The `type` field, or "".
  std::string type() const;

  /// String or integer field `name` as text, or "" when absent.
  std::string field(const char* name) const;
};

/// A WebSocket conversation with the server: requests numbered by `id`
/// and their replies; other messages (task events) wait in order for
/// `next`.
class session {
 public:
  /// Connects to the server of `options` and reads its `hello`; throws
  /// `failure`.
  explicit session(const global_options& options);

  /// Closes the connection with a closing handshake.
  ~session();

  session(const session&) = delete;
  session& operator=(const session&) = delete;

  /// Sends `{"type":TYPE,"id":N,FIELDS}` and returns the reply with
  /// `reply_to` N (which may be an `error`). `fields` is a list of JSON
  /// members without braces, or "".
  message request(std::string_view type, const std::string& fields = {});

  /// Returns the next message that is not a reply to a request, skipping
  /// heartbeats.
  message next();

  /// Throws `failure` when `reply` is an `error` (printing it on stdout
  /// first with `--json`).
  void expect_success(const message& reply) const;

  /// Prints `m` as one line on stdout (its text unchanged).
  static void print_raw(const message& m);

  /// The options the session was made with.
  const global_options& options() const noexcept {
    return options_;
  }

  /// The server's URL.
  const server_url& url() const noexcept {
    return connection_.url();
  }

 private:
  message read_one();

  global_options options_;
  ws_connection connection_;
  int64_t next_id_ = 1;
  std::deque<message> pending_;
};

/// Prints `text` on stdout and flushes (so pipes see each line at once).
void print_out(const std::string& text);

} // namespace switchboard::cli
