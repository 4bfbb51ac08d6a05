#include "tests/support/ws_client.hpp"

#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

namespace switchboard::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

std::string type_of(const rapidjson::Value& doc) {
  if (!doc.IsObject())
    return {};
  auto i = doc.FindMember("type");
  if (i == doc.MemberEnd() || !i->value.IsString())
    return {};
  return {i->value.GetString(), i->value.GetStringLength()};
}

namespace {

// Runs `ioc` until `done` or `deadline`; returns `done`.
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

rapidjson::Document parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError())
    throw std::runtime_error("server sent invalid JSON: " + text);
  return doc;
}

} // namespace

struct ws_client::impl {
  // Declared first so that the stream is destroyed before it.
  net::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  websocket::response_type handshake_res;
  bool open = false;
  bool read_pending = false;
  bool read_done = false;
  boost::system::error_code read_ec;
  bool last_binary = false;
  uint16_t close_code = 0;
  std::string close_reason;
  int handshake_status = 0;
  std::string error;
  std::vector<std::string> skipped;

  bool write(std::string data, bool text) {
    if (!open) {
      error = "not connected";
      return false;
    }
    bool done = false;
    boost::system::error_code result;
    // The message must stay alive until the write completes, even when we
    // give up waiting for it.
    auto msg = std::make_shared<std::string>(std::move(data));
    ws.text(text);
    ws.async_write(net::buffer(*msg),
                   [&done, &result, msg](boost::system::error_code ec, size_t) {
                     done = true;
                     result = ec;
                   });
    if (!run_until(ioc, done, clock_type::now() + std::chrono::seconds(5))) {
      error = "write timed out";
      // The handler refers to locals: we must not return before it ran.
      beast::get_lowest_layer(ws).socket().close(result);
      open = false;
      run_until(ioc, done, clock_type::now() + std::chrono::seconds(5));
      return false;
    }
    if (result) {
      error = "write: " + result.message();
      return false;
    }
    return true;
  }
};

ws_client::ws_client() : impl_(std::make_unique<impl>()) {}

ws_client::~ws_client() {
  boost::system::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
}

bool ws_client::connect(uint16_t port, std::string target, header_list headers,
                        std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  auto deadline = clock_type::now() + timeout;
  auto& tcp_layer = beast::get_lowest_layer(d.ws);
  bool done = false;
  boost::system::error_code result;
  tcp_layer.expires_after(timeout);
  tcp_layer.async_connect(
      tcp::endpoint{net::ip::make_address("127.0.0.1"), port},
      [&](boost::system::error_code ec) {
        done = true;
        result = ec;
      });
  if (!run_until(d.ioc, done, deadline) || result) {
    d.error = "connect: " + (result ? result.message() : "timeout");
    return false;
  }
  tcp_layer.expires_never();
  websocket::stream_base::timeout timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = timeout;
  d.ws.set_option(timeouts);
  d.ws.set_option(websocket::stream_base::decorator(
      [headers = std::move(headers)](websocket::request_type& req) {
        req.set(http::field::user_agent, "switchboard-test");
        for (auto& [name, value] : headers)
          req.set(name, value);
      }));
  d.ws.read_message_max(64 * 1024 * 1024);
  done = false;
  d.ws.async_handshake(d.handshake_res, "127.0.0.1:" + std::to_string(port),
                       target, [&](boost::system::error_code ec) {
                         done = true;
                         result = ec;
                       });
  if (!run_until(d.ioc, done, deadline)) {
    boost::system::error_code ignored;
    tcp_layer.socket().close(ignored);
    run_until(d.ioc, done, clock_type::now() + std::chrono::seconds(5));
    d.error = "handshake timed out";
    return false;
  }
  d.handshake_status = static_cast<int>(d.handshake_res.result_int());
  if (result) {
    d.error = "handshake: " + result.message();
    return false;
  }
  d.open = true;
  return true;
}

bool ws_client::send_text(std::string text) {
  return impl_->write(std::move(text), true);
}

bool ws_client::send_binary(std::string data) {
  return impl_->write(std::move(data), false);
}

std::optional<std::string>
ws_client::read_text(std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.open && !d.read_pending)
    return std::nullopt;
  if (!d.read_pending) {
    d.read_pending = true;
    d.read_done = false;
    d.ws.async_read(d.buffer, [&d](boost::system::error_code ec, size_t) {
      d.read_done = true;
      d.read_ec = ec;
    });
  }
  if (!run_until(d.ioc, d.read_done, clock_type::now() + timeout))
    return std::nullopt;
  d.read_pending = false;
  if (d.read_ec) {
    d.open = false;
    d.error = "read: " + d.read_ec.message();
    if (d.read_ec == websocket::error::closed) {
      d.close_code = d.ws.reason().code;
      d.close_reason = std::string{d.ws.reason().reason.c_str()};
      d.error += " (close code " + std::to_string(d.close_code) + " \"" +
                 d.close_reason + "\")";
    }
    return std::nullopt;
  }
  d.last_binary = !d.ws.got_text();
  auto text = beast::buffers_to_string(d.buffer.data());
  d.buffer.consume(d.buffer.size());
  return text;
}

rapidjson::Document ws_client::read_json(std::chrono::milliseconds timeout) {
  auto text = read_text(timeout);
  if (!text)
    throw std::runtime_error(impl_->open ? "timeout waiting for a message"
                                         : "connection ended: " + impl_->error);
  return parse(*text);
}

rapidjson::Document ws_client::read_message(std::chrono::milliseconds timeout) {
  return read_until(
      [](const rapidjson::Document& doc) {
        return type_of(doc) != "heartbeat";
      },
      timeout);
}

rapidjson::Document ws_client::read_until(
    const std::function<bool(const rapidjson::Document&)>& pred,
    std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock_type::now());
    if (left.count() <= 0)
      throw std::runtime_error("timeout waiting for a matching message");
    auto text = read_text(left);
    if (!text) {
      if (impl_->open)
        throw std::runtime_error("timeout waiting for a matching message");
      throw std::runtime_error("connection ended: " + impl_->error);
    }
    auto doc = parse(*text);
    if (pred(doc))
      return doc;
    impl_->skipped.push_back(std::move(*text));
  }
}

rapidjson::Document ws_client::read_type(const std::string& type,
                                         std::chrono::milliseconds timeout) {
  return read_until(
      [&type](const rapidjson::Document& doc) { return type_of(doc) == type; },
      timeout);
}

rapidjson::Document ws_client::request(const std::string& text,
                                       const std::string& id,
                                       std::chrono::milliseconds timeout) {
  if (!send_text(text))
    throw std::runtime_error("cannot send: " + impl_->error);
  return read_until(
      [&id](const rapidjson::Document& doc) {
        if (!doc.IsObject())
          return false;
        auto i = doc.FindMember("reply_to");
        return i != doc.MemberEnd() && i->value.IsString() &&
               id == i->value.GetString();
      },
      timeout);
}

const std::vector<std::string>& ws_client::skipped() const {
  return impl_->skipped;
}

void ws_client::clear_skipped() {
  impl_->skipped.clear();
}

bool ws_client::last_was_binary() const {
  return impl_->last_binary;
}

uint16_t ws_client::close_code() const {
  return impl_->close_code;
}

std::string ws_client::close_reason() const {
  return impl_->close_reason;
}

bool ws_client::is_open() const {
  return impl_->open;
}

void ws_client::close(uint16_t code, std::chrono::milliseconds timeout) {
  auto& d = *impl_;
  if (!d.open)
    return;
  d.open = false;
  bool done = false;
  d.ws.async_close(websocket::close_reason{code},
                   [&done](boost::system::error_code) { done = true; });
  auto deadline = clock_type::now() + timeout;
  run_until(d.ioc, done, deadline);
  if (d.read_pending)
    run_until(d.ioc, d.read_done, deadline);
  boost::system::error_code ec;
  beast::get_lowest_layer(d.ws).socket().close(ec);
  // Let aborted operations finish while `done` is still in scope.
  run_until(d.ioc, done, clock_type::now() + std::chrono::seconds(1));
}

int ws_client::handshake_status() const {
  return impl_->handshake_status;
}

std::string ws_client::handshake_header(const std::string& name) const {
  auto i = impl_->handshake_res.find(name);
  if (i == impl_->handshake_res.end())
    return {};
  return std::string{i->value()};
}

const std::string& ws_client::error() const {
  return impl_->error;
}

} // namespace switchboard::test
