#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace switchboard::cli {

/// The server named by `--server`, e.g. `http://127.0.0.1:8080`.
struct server_url {
  /// The URL as given.
  std::string text;
  /// The host to connect to (without IPv6 brackets).
  std::string host;
  /// The port, 80 when the URL names none.
  std::string port;
  /// `host:port` as the URL writes it, for the `Host` header.
  std::string authority;
  /// A path prefix without trailing slash ("" for none).
  std::string prefix;
};

/// Parses an `http://` URL; throws `failure` (usage) for anything else.
server_url parse_server_url(std::string_view url);

/// A blocking WebSocket connection to the server's `/ws`.
class ws_connection {
 public:
  /// Prepares a connection to `url`, sending `token` (if not empty) as
  /// `Authorization: Bearer` on the upgrade.
  ws_connection(server_url url, std::string token);

  /// Closes the socket.
  ~ws_connection();

  ws_connection(const ws_connection&) = delete;
  ws_connection& operator=(const ws_connection&) = delete;

  /// Connects, upgrades and reads the server's `hello`; throws `failure`
  /// (unreachable or refused).
  void open();

  /// Sends one text message; throws `failure` (unreachable).
  void send(const std::string& text);

  /// Returns the next text message; throws `failure` when the connection
  /// ends (refused for close 1008, else unreachable).
  std::string read();

  /// Performs the closing handshake, ignoring errors.
  void close();

  /// The URL this connection talks to.
  const server_url& url() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// A complete HTTP response.
struct http_response {
  /// The status code.
  int status = 0;
  /// The body.
  std::string body;
};

/// Sends `GET target` (below the URL's prefix) with `token`; throws
/// `failure` (unreachable) when no response arrives.
http_response http_get(const server_url& url, const std::string& token,
                       const std::string& target);

} // namespace switchboard::cli
