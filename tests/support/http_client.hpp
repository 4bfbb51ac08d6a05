#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchboard::test {

/// Extra header fields for a request, e.g. {{"Last-Event-ID", "3"}}.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// A complete HTTP response.
struct http_reply {
  /// Status code, or 0 when no response arrived (see `error`).
  int status = 0;
  /// Header fields with lower-case names (repeated ones joined by ", ").
  std::map<std::string, std::string> headers;
  /// The body.
  std::string body;
  /// Describes the failure when `status` is 0.
  std::string error;

  /// Returns the value of header `name` (lower case) or "".
  std::string header(const std::string& name) const {
    auto i = headers.find(name);
    return i != headers.end() ? i->second : std::string{};
  }
};

/// A blocking HTTP/1.1 client on one keep-alive connection, for tests.
class http_client {
 public:
  /// Creates a client that is not connected.
  http_client();

  ~http_client();

  http_client(const http_client&) = delete;
  http_client& operator=(const http_client&) = delete;

  /// Connects to 127.0.0.1:`port`; returns false on failure.
  bool connect(uint16_t port,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Sends one request on the connection and reads the response. Sets
  /// Content-Length whenever `body` is not empty or the method is not GET.
  http_reply
  request(const std::string& method, const std::string& target,
          const std::string& body = {}, const header_list& headers = {},
          std::chrono::milliseconds timeout = std::chrono::seconds(10));

  /// Returns true when the server closes the connection within `timeout`
  /// (reads and discards anything it sends meanwhile).
  bool wait_closed(std::chrono::milliseconds timeout);

  /// Returns true while the connection is usable.
  bool is_open() const;

  /// Closes the connection.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Sends one request on a fresh connection to 127.0.0.1:`port`.
http_reply
request(uint16_t port, const std::string& method, const std::string& target,
        const std::string& body = {}, const header_list& headers = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(10));

/// Returns the value of one series of the server's `/metrics` (e.g.
/// `switchboard_tasks_running`), or -1 when it is not exported.
double metric(uint16_t port, const std::string& series);

/// A streamed response read as raw text, e.g. Server-Sent Events.
class http_stream {
 public:
  /// Creates a stream that is not open.
  http_stream();

  ~http_stream();

  http_stream(const http_stream&) = delete;
  http_stream& operator=(const http_stream&) = delete;

  /// Sends `GET target` and reads the response head; returns its status,
  /// or 0 on failure.
  int open(uint16_t port, const std::string& target,
           const header_list& headers = {},
           std::chrono::milliseconds timeout = std::chrono::seconds(5));

  /// Status of the response head.
  int status() const;

  /// Returns header `name` (lower case) of the response head, or "".
  std::string header(const std::string& name) const;

  /// Returns the next chunk of body bytes as they arrive, or nullopt on
  /// timeout or when the server closed the stream (then `is_open` is false).
  std::optional<std::string> read_some(std::chrono::milliseconds timeout);

  /// Reads until the text received so far contains `needle` or the stream
  /// ends or `timeout` passes; returns all text read by this call.
  std::string read_until(std::string_view needle,
                         std::chrono::milliseconds timeout);

  /// Reads until the server closes the stream or `timeout` passes; returns
  /// all text read by this call.
  std::string read_all(std::chrono::milliseconds timeout);

  /// Returns true until the server closed the stream.
  bool is_open() const;

  /// Closes the connection.
  void close();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::test
