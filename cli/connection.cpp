#include "cli/connection.hpp"

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <rapidjson/document.h>

#include "cli/exit_code.hpp"
#include "cli/run_one.hpp"
#include "protocol/json.hpp"

namespace switchboard::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

constexpr const char* user_agent = "switchboard-cli/" SWITCHBOARD_VERSION;

// Connecting, upgrading and closing; an HTTP request and its response.
constexpr auto connect_timeout = std::chrono::seconds(10);
constexpr auto http_timeout = std::chrono::seconds(30);

[[noreturn]] void unreachable(const server_url& url, const std::string& what) {
  throw failure(exit_code::unreachable,
                "cannot reach the server at " + url.text + " (" + what +
                    "); start it, or pass --server URL or set "
                    "SWITCHBOARD_URL");
}

std::string describe(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout)
    return "no answer in time";
  return ec.message();
}

void connect_stream(net::io_context& ioc, beast::tcp_stream& stream,
                    const server_url& url) {
  boost::system::error_code ec;
  tcp::resolver resolver{ioc};
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec)
    unreachable(url, "resolve: " + ec.message());
  stream.expires_after(connect_timeout);
  ec = run_one(ioc, [&](auto handler) {
    stream.async_connect(endpoints, std::move(handler));
  });
  if (ec)
    unreachable(url, describe(ec));
  stream.expires_never();
}

} // namespace

server_url parse_server_url(std::string_view text) {
  server_url url;
  url.text = std::string{text};
  constexpr std::string_view scheme = "http://";
  if (text.substr(0, 8) == "https://")
    throw failure(exit_code::usage,
                  "--server " + url.text +
                      ": https is not supported yet; use an http:// URL");
  if (text.substr(0, scheme.size()) != scheme)
    throw failure(exit_code::usage, "--server " + url.text +
                                        ": not an http:// URL (for example "
                                        "http://127.0.0.1:8080)");
  auto rest = text.substr(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    url.prefix = std::string{rest.substr(slash)};
    while (!url.prefix.empty() && url.prefix.back() == '/')
      url.prefix.pop_back();
  }
  std::string_view host = authority;
  std::string_view port = "80";
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw failure(exit_code::usage,
                    "--server " + url.text + ": unbalanced [ in the host");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty() ||
      port.find_first_not_of("0123456789") != std::string_view::npos)
    throw failure(exit_code::usage,
                  "--server " + url.text +
                      ": expected http://HOST[:PORT] (for example "
                      "http://127.0.0.1:8080)");
  url.host = std::string{host};
  url.port = std::string{port};
  url.authority = std::string{authority};
  return url;
}

struct ws_connection::impl {
  server_url url;
  std::string token;
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  int64_t heartbeat_ms = 15000;
};

ws_connection::ws_connection(server_url url, std::string token)
    : impl_(std::make_unique<impl>()) {
  impl_->url = std::move(url);
  impl_->token = std::move(token);
}

ws_connection::~ws_connection() {
  boost::system::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

const server_url& ws_connection::url() const noexcept {
  return impl_->url;
}

void ws_connection::open() {
  auto& d = *impl_;
  connect_stream(d.ioc, beast::get_lowest_layer(d.ws), d.url);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = connect_timeout;
  timeouts.idle_timeout = connect_timeout;
  timeouts.keep_alive_pings = false;
  d.ws.set_option(timeouts);
  d.ws.set_option(websocket::stream_base::decorator(
      [token = d.token](websocket::request_type& req) {
        req.set(http::field::user_agent, user_agent);
        if (!token.empty())
          req.set(http::field::authorization, "Bearer " + token);
      }));
  d.ws.read_message_max(64 * 1024 * 1024);
  websocket::response_type res;
  auto ec = run_one(d.ioc, [&](auto handler) {
    d.ws.async_handshake(res, d.url.authority, d.url.prefix + "/ws",
                         std::move(handler));
  });
  if (ec) {
    auto status = res.result_int();
    if (status == 401)
      throw failure(exit_code::refused,
                    "unauthorized: the server wants a token; pass a valid "
                    "--token or set SWITCHBOARD_TOKEN");
    if (status == 403)
      throw failure(exit_code::refused,
                    "forbidden: the server refused the connection (Host or "
                    "Origin not allowed); check --server");
    if (status != 0)
      unreachable(d.url,
                  "WebSocket upgrade answered HTTP " + std::to_string(status));
    unreachable(d.url, "WebSocket upgrade: " + describe(ec));
  }
  auto text = read();
  rapidjson::Document hello;
  protocol::parse_json(text, hello);
  if (!hello.IsObject() || !hello.HasMember("type") ||
      !hello["type"].IsString() ||
      std::string_view{hello["type"].GetString()} != "hello")
    unreachable(d.url, "expected hello, got " + text.substr(0, 200));
  if (hello.HasMember("heartbeat_ms") && hello["heartbeat_ms"].IsInt64() &&
      hello["heartbeat_ms"].GetInt64() > 0)
    d.heartbeat_ms = hello["heartbeat_ms"].GetInt64();
  // The server sends a heartbeat every heartbeat_ms: three missed ones
  // (and a second's slack) mean it is gone.
  timeouts.idle_timeout = std::chrono::milliseconds(3 * d.heartbeat_ms + 1000);
  d.ws.set_option(timeouts);
}

void ws_connection::send(const std::string& text) {
  auto& d = *impl_;
  d.ws.text(true);
  auto ec = run_one(d.ioc, [&](auto handler) {
    d.ws.async_write(net::buffer(text), std::move(handler));
  });
  if (ec)
    throw failure(exit_code::unreachable,
                  "lost the connection to " + d.url.text + ": " + describe(ec));
}

std::string ws_connection::read() {
  auto& d = *impl_;
  d.buffer.consume(d.buffer.size());
  auto ec = run_one(d.ioc, [&](auto handler) {
    d.ws.async_read(d.buffer, std::move(handler));
  });
  if (ec) {
    if (ec == websocket::error::closed) {
      auto code = d.ws.reason().code;
      if (code == 1008)
        throw failure(exit_code::refused,
                      "unauthorized: the server closed the connection "
                      "(1008); pass a valid --token or set "
                      "SWITCHBOARD_TOKEN");
      if (code == 1001)
        throw failure(exit_code::unreachable,
                      "the server at " + d.url.text + " shut down (1001)");
      throw failure(exit_code::unreachable, "the server at " + d.url.text +
                                                " closed the connection (" +
                                                std::to_string(code) + ")");
    }
    if (ec == beast::error::timeout)
      throw failure(exit_code::unreachable,
                    "lost the connection to " + d.url.text +
                        ": no heartbeat for " +
                        std::to_string(3 * d.heartbeat_ms + 1000) + " ms");
    throw failure(exit_code::unreachable,
                  "lost the connection to " + d.url.text + ": " + ec.message());
  }
  return beast::buffers_to_string(d.buffer.data());
}

void ws_connection::close() {
  auto& d = *impl_;
  if (!d.ws.is_open())
    return;
  run_one(d.ioc, [&](auto handler) {
    d.ws.async_close(websocket::close_code::normal, std::move(handler));
  });
}

http_response http_get(const server_url& url, const std::string& token,
                       const std::string& target) {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  connect_stream(ioc, stream, url);
  http::request<http::empty_body> req{http::verb::get, url.prefix + target, 11};
  req.set(http::field::host, url.authority);
  req.set(http::field::user_agent, user_agent);
  if (!token.empty())
    req.set(http::field::authorization, "Bearer " + token);
  stream.expires_after(http_timeout);
  auto ec = run_one(ioc, [&](auto handler) {
    http::async_write(stream, req, std::move(handler));
  });
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (!ec)
    ec = run_one(ioc, [&](auto handler) {
      http::async_read(stream, buffer, parser, std::move(handler));
    });
  if (ec)
    unreachable(url, "GET " + target + ": " + describe(ec));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return {static_cast<int>(parser.get().result_int()),
          std::move(parser.get().body())};
}

} // namespace switchboard::cli
