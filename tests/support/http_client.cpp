#include "tests/support/http_client.hpp"

#include <array>
#include <cctype>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace switchboard::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

bool run_until(net::io_context& ioc, const bool& done,
               clock_type::time_point deadline) {
  while (!done) {
    if (ioc.stopped())
      ioc.restart();
    if (ioc.run_one_until(deadline) == 0)
      break;
  }
  return done;
}

std::string lower(std::string_view s) {
  std::string result{s};
  for (auto& c : result)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

template<class Fields>
std::map<std::string, std::string> to_map(const Fields& fields) {
  std::map<std::string, std::string> result;
  for (auto& f : fields) {
    auto name =
        lower(std::string_view{f.name_string().data(), f.name_string().size()});
    std::string value{f.value()};
    auto [i, added] = result.emplace(std::move(name), value);
    if (!added)
      i->second += ", " + value;
  }
  return result;
}

http::request<http::string_body> make_request(uint16_t port,
                                              const std::string& method,
                                              const std::string& target,
                                              const std::string& body,
                                              const header_list& headers) {
  http::request<http::string_body> req;
  req.method_string(method);
  req.target(target);
  req.version(11);
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set(http::field::user_agent, "switchboard-test");
  for (auto& [name, value] : headers)
    req.set(name, value);
  req.body() = body;
  if (!body.empty() || method != "GET")
    req.prepare_payload();
  return req;
}

// Connects `stream`; returns an error message or "".
std::string connect_stream(net::io_context& ioc, beast::tcp_stream& stream,
                           uint16_t port, clock_type::time_point deadline) {
  bool done = false;
  boost::system::error_code result;
  stream.expires_at(deadline);
  stream.async_connect(tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
                       [&](boost::system::error_code ec) {
                         done = true;
                         result = ec;
                       });
  run_until(ioc, done, deadline + std::chrono::seconds(1));
  stream.expires_never();
  if (!done)
    return "connect timed out";
  if (result)
    return "connect: " + result.message();
  return {};
}

} // namespace

// -- http_client --------------------------------------------------------------

struct http_client::impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  uint16_t port = 0;
  bool open = false;
  // Set once a read failed. Asio 1.81 (Boost 1.81) does not complete a
  // second read after end of stream, so we must not try one.
  bool ended = false;
};

http_client::http_client() : impl_(std::make_unique<impl>()) {}

http_client::~http_client() {
  close();
}

bool http_client::connect(uint16_t port, std::chrono::milliseconds timeout) {
  impl_->port = port;
  impl_->ended = false;
  impl_->buffer.clear();
  auto err = connect_stream(impl_->ioc, impl_->stream, port,
                            clock_type::now() + timeout);
  impl_->open = err.empty();
  return impl_->open;
}

http_reply http_client::request(const std::string& method,
                                const std::string& target,
                                const std::string& body,
                                const header_list& headers,
                                std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  http_reply reply;
  if (!d.open) {
    reply.error = "not connected";
    return reply;
  }
  auto deadline = clock_type::now() + timeout;
  auto req = make_request(d.port, method, target, body, headers);
  http::response_parser<http::string_body> parser;
  parser.body_limit(256 * 1024 * 1024);
  bool wrote = false;
  bool read = false;
  boost::system::error_code write_ec;
  boost::system::error_code read_ec;
  d.stream.expires_at(deadline);
  // Read while writing: a server may answer (e.g. 413) and close before it
  // has read the whole body.
  http::async_write(d.stream, req, [&](boost::system::error_code ec, size_t) {
    wrote = true;
    write_ec = ec;
  });
  http::async_read(d.stream, d.buffer, parser,
                   [&](boost::system::error_code ec, size_t) {
                     read = true;
                     read_ec = ec;
                   });
  run_until(d.ioc, read, deadline + std::chrono::seconds(1));
  if (!read || !wrote) {
    // The handlers refer to locals: finish them before returning.
    boost::system::error_code ignored;
    d.stream.socket().close(ignored);
    d.open = false;
    run_until(d.ioc, read, clock_type::now() + std::chrono::seconds(5));
    run_until(d.ioc, wrote, clock_type::now() + std::chrono::seconds(5));
  }
  d.stream.expires_never();
  if (read_ec) {
    d.open = false;
    d.ended = true;
    reply.error = "read: " + read_ec.message();
    return reply;
  }
  auto res = parser.release();
  reply.status = static_cast<int>(res.result_int());
  reply.headers = to_map(res);
  reply.body = std::move(res.body());
  if (!res.keep_alive())
    d.open = false;
  return reply;
}

bool http_client::wait_closed(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto deadline = clock_type::now() + timeout;
  std::array<char, 4096> scratch;
  while (!d.ended) {
    bool done = false;
    boost::system::error_code result;
    d.stream.socket().async_read_some(
        net::buffer(scratch), [&](boost::system::error_code ec, size_t) {
          done = true;
          result = ec;
        });
    if (!run_until(d.ioc, done, deadline)) {
      boost::system::error_code ignored;
      d.stream.socket().cancel(ignored);
      run_until(d.ioc, done, clock_type::now() + std::chrono::seconds(5));
      return false;
    }
    if (result) {
      d.open = false;
      d.ended = true;
    }
  }
  return true;
}

bool http_client::is_open() const {
  return impl_->open;
}

void http_client::close() {
  boost::system::error_code ec;
  impl_->stream.socket().close(ec);
  impl_->open = false;
}

http_reply request(uint16_t port, const std::string& method,
                   const std::string& target, const std::string& body,
                   const header_list& headers,
                   std::chrono::milliseconds timeout) {
  http_client client;
  if (!client.connect(port, timeout)) {
    http_reply reply;
    reply.error = "cannot connect to port " + std::to_string(port);
    return reply;
  }
  return client.request(method, target, body, headers, timeout);
}

// -- http_stream --------------------------------------------------------------

struct http_stream::impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::array<char, 16 * 1024> chunk;
  int status = 0;
  std::map<std::string, std::string> headers;
  bool open = false;
  bool read_pending = false;
  bool read_done = false;
  boost::system::error_code read_ec;
  size_t read_n = 0;
};

http_stream::http_stream() : impl_(std::make_unique<impl>()) {}

http_stream::~http_stream() {
  close();
}

int http_stream::open(uint16_t port, const std::string& target,
                      const header_list& headers,
                      std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto deadline = clock_type::now() + timeout;
  if (!connect_stream(d.ioc, d.stream, port, deadline).empty())
    return 0;
  auto req = make_request(port, "GET", target, {}, headers);
  bool done = false;
  boost::system::error_code result;
  d.stream.expires_at(deadline);
  http::async_write(d.stream, req, [&](boost::system::error_code ec, size_t) {
    done = true;
    result = ec;
  });
  run_until(d.ioc, done, deadline + std::chrono::seconds(1));
  if (!done || result) {
    close();
    run_until(d.ioc, done, clock_type::now() + std::chrono::seconds(5));
    return 0;
  }
  // The head only: the body follows as raw bytes, left in the buffer.
  http::response_parser<http::empty_body> parser;
  done = false;
  http::async_read_header(d.stream, d.buffer, parser,
                          [&](boost::system::error_code ec, size_t) {
                            done = true;
                            result = ec;
                          });
  run_until(d.ioc, done, deadline + std::chrono::seconds(1));
  d.stream.expires_never();
  if (!done || result) {
    close();
    run_until(d.ioc, done, clock_type::now() + std::chrono::seconds(5));
    return 0;
  }
  d.status = static_cast<int>(parser.get().result_int());
  d.headers = to_map(parser.get());
  d.open = true;
  return d.status;
}

int http_stream::status() const {
  return impl_->status;
}

std::string http_stream::header(const std::string& name) const {
  auto i = impl_->headers.find(name);
  return i != impl_->headers.end() ? i->second : std::string{};
}

std::optional<std::string>
http_stream::read_some(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (d.buffer.size() > 0) {
    auto text = beast::buffers_to_string(d.buffer.data());
    d.buffer.consume(d.buffer.size());
    return text;
  }
  if (!d.open)
    return std::nullopt;
  if (!d.read_pending) {
    d.read_pending = true;
    d.read_done = false;
    d.stream.socket().async_read_some(
        net::buffer(d.chunk), [&d](boost::system::error_code ec, size_t n) {
          d.read_done = true;
          d.read_ec = ec;
          d.read_n = n;
        });
  }
  if (!run_until(d.ioc, d.read_done, clock_type::now() + timeout))
    return std::nullopt;
  d.read_pending = false;
  if (d.read_ec) {
    d.open = false;
    return std::nullopt;
  }
  return std::string{d.chunk.data(), d.read_n};
}

std::string http_stream::read_until(std::string_view needle,
                                    std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  std::string result;
  while (result.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
    if (left.count() <= 0)
      break;
    if (auto text = read_some(left))
      result += *text;
    else if (!is_open())
      break;
  }
  return result;
}

std::string http_stream::read_all(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  std::string result;
  while (is_open() || impl_->buffer.size() > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
    if (left.count() <= 0)
      break;
    if (auto text = read_some(left))
      result += *text;
  }
  return result;
}

bool http_stream::is_open() const {
  return impl_->open;
}

void http_stream::close() {
  boost::system::error_code ec;
  impl_->stream.socket().close(ec);
  impl_->open = false;
}

double metric(uint16_t port, const std::string& series) {
  auto body =
      request(port, "GET", "/metrics", {}, {}, std::chrono::seconds(60)).body;
  auto at = body.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(body.substr(at + series.size() + 2));
}

} // namespace switchboard::test
