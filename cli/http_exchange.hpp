#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

#include "cli/connection.hpp"

namespace switchboard::cli {

/// One Server-Sent Event.
struct sse_event {
  /// Its `id:` line, or "".
  std::string id;
  /// Its `event:` line, or "".
  std::string event;
  /// Its `data:` lines, joined by newlines.
  std::string data;
};

/// Extra request headers: name and value.
using header_list = std::vector<std::pair<std::string, std::string>>;

/// One HTTP request on a connection of its own, its response read as it
/// arrives: whole (`body`) or event by event (`next_event`).
class http_exchange {
 public:
  /// Connects, sends `verb target` (below the URL's prefix) with `token`,
  /// `headers` and, for POST, `body` as JSON, and reads the response's
  /// header; throws `failure` (unreachable).
  http_exchange(const server_url& url, const std::string& token,
                boost::beast::http::verb verb, const std::string& target,
                const std::string& body = {}, const header_list& headers = {});

  /// Closes the connection.
  ~http_exchange();

  http_exchange(const http_exchange&) = delete;
  http_exchange& operator=(const http_exchange&) = delete;

  /// The response's status code.
  int status() const;

  /// A header of the response, or "".
  std::string header(boost::beast::http::field f) const;

  /// Reads the rest of the body and returns all of it.
  std::string body();

  /// The next event with data of an event stream, or nullopt at its end.
  std::optional<sse_event> next_event();

 private:
  bool read_more();

  std::string what_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_{ioc_};
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response_parser<boost::beast::http::string_body> parser_;
};

/// Sends `POST target` with the JSON `body`; returns the status and body.
http_response http_post(const server_url& url, const std::string& token,
                        const std::string& target, const std::string& body);

/// Returns `text` percent-encoded as one path segment (a task id typed by a
/// person may hold anything).
std::string path_segment(const std::string& text);

} // namespace switchboard::cli
