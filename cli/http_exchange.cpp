#include "cli/http_exchange.hpp"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include "cli/exit_code.hpp"
#include "cli/run_one.hpp"

namespace switchboard::cli {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Each wait (connecting, a write, a read) is bounded; an event stream
// sends a heartbeat comment well within it.
constexpr auto io_timeout = std::chrono::seconds(30);

[[noreturn]] void lost(const std::string& what,
                       const boost::system::error_code& ec) {
  throw failure(exit_code::unreachable,
                what + ": " +
                    (ec == beast::error::timeout ? std::string{"no answer in "
                                                               "time"}
                                                 : ec.message()));
}

} // namespace

http_exchange::http_exchange(const server_url& url, const std::string& token,
                             http::verb verb, const std::string& target,
                             const std::string& body,
                             const header_list& headers)
    : what_(std::string(http::to_string(verb).data(),
                        http::to_string(verb).size()) +
            " " + url.text + target) {
  tcp::resolver resolver{ioc_};
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec)
    lost(what_, ec);
  stream_.expires_after(io_timeout);
  ec = run_one(ioc_, [&](auto handler) {
    stream_.async_connect(endpoints, std::move(handler));
  });
  if (ec)
    lost(what_, ec);
  http::request<http::string_body> req{verb, url.prefix + target, 11};
  req.set(http::field::host, url.authority);
  req.set(http::field::user_agent, "switchboard-cli/" SWITCHBOARD_VERSION);
  if (!token.empty())
    req.set(http::field::authorization, "Bearer " + token);
  for (auto& [name, value] : headers)
    req.set(name, value);
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  stream_.expires_after(io_timeout);
  ec = run_one(ioc_, [&](auto handler) {
    http::async_write(stream_, req, std::move(handler));
  });
  // The body is consumed as it is read, so no limit applies to a stream.
  parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  if (!ec)
    ec = run_one(ioc_, [&](auto handler) {
      http::async_read_header(stream_, buffer_, parser_, std::move(handler));
    });
  if (ec)
    lost(what_, ec);
}

http_exchange::~http_exchange() {
  boost::system::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

int http_exchange::status() const {
  return static_cast<int>(parser_.get().result_int());
}

std::string http_exchange::header(http::field f) const {
  auto value = parser_.get()[f];
  return std::string(value.data(), value.size());
}

std::string http_exchange::body() {
  while (!parser_.is_done() && read_more()) {
  }
  return parser_.get().body();
}

std::optional<sse_event> http_exchange::next_event() {
  for (;;) {
    auto& text = parser_.get().body();
    auto end = text.find("\n\n");
    if (end != std::string::npos) {
      auto block = text.substr(0, end + 1);
      text.erase(0, end + 2);
      sse_event ev;
      size_t from = 0;
      while (from < block.size()) {
        auto nl = block.find('\n', from);
        auto line = block.substr(from, nl - from);
        from = nl + 1;
        auto colon = line.find(':');
        // Comments (`: hb`) start with a colon.
        if (line.empty() || colon == 0)
          continue;
        auto name = line.substr(0, colon);
        auto value =
            colon == std::string::npos ? std::string{} : line.substr(colon + 1);
        if (!value.empty() && value.front() == ' ')
          value.erase(0, 1);
        if (name == "id")
          ev.id = value;
        else if (name == "event")
          ev.event = value;
        else if (name == "data")
          ev.data += (ev.data.empty() ? "" : "\n") + value;
      }
      if (!ev.data.empty())
        return ev;
      continue;
    }
    if (parser_.is_done() || !read_more())
      return std::nullopt;
  }
}

bool http_exchange::read_more() {
  stream_.expires_after(io_timeout);
  auto ec = run_one(ioc_, [&](auto handler) {
    http::async_read_some(stream_, buffer_, parser_, std::move(handler));
  });
  if (ec == http::error::end_of_stream || ec == net::error::eof)
    return false;
  if (ec)
    lost(what_, ec);
  return true;
}

http_response http_post(const server_url& url, const std::string& token,
                        const std::string& target, const std::string& body) {
  http_exchange ex{url, token, http::verb::post, target, body};
  auto text = ex.body();
  return {ex.status(), std::move(text)};
}

std::string path_segment(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

} // namespace switchboard::cli
