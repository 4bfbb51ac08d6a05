#include "transport/http_session.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "protocol/json.hpp"
#include "transport/websocket_session.hpp"

namespace switchboard::transport {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string to_string(const tcp::endpoint& ep) {
  auto addr = ep.address();
  auto port = std::to_string(ep.port());
  if (addr.is_v6())
    return "[" + addr.to_string() + "]:" + port;
  return addr.to_string() + ":" + port;
}

http_request to_http_request(const beast_request& req, std::string remote) {
  http_request result;
  result.method = std::string{req.method_string()};
  std::string_view target{req.target().data(), req.target().size()};
  auto qm = target.find('?');
  result.path = std::string{target.substr(0, qm)};
  if (qm != std::string_view::npos)
    result.query = std::string{target.substr(qm + 1)};
  for (auto& field : req) {
    std::string name{field.name_string()};
    for (auto& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value{field.value()};
    // Repeated fields are combined as RFC 9110 allows for list-valued ones.
    auto [i, added] = result.headers.emplace(std::move(name), value);
    if (!added)
      i->second += ", " + value;
  }
  result.body = req.body();
  result.remote = std::move(remote);
  return result;
}

namespace {

constexpr size_t header_limit = 16 * 1024;

// How long and how much we keep reading after our last response before we
// close: closing with unread input makes the kernel send a reset, which can
// destroy the response (e.g. a 413) before the client has read it.
constexpr auto linger_timeout = std::chrono::seconds(2);
constexpr size_t linger_limit = 1024 * 1024;

std::string strip_crlf(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(),
                         [](char c) { return c == '\r' || c == '\n'; }),
          s.end());
  return s;
}

class http_session;

class exchange_impl : public http_exchange,
                      public std::enable_shared_from_this<exchange_impl> {
 public:
  explicit exchange_impl(std::shared_ptr<http_session> s)
      : session_(std::move(s)) {}

  void respond(http_response res) override;

  void start_stream(http_response head) override;

  bool write(protocol::frame chunk) override;

  size_t queued_bytes() const override;

  size_t max_queued_bytes() const override;

  void end() override;

  void on_closed(std::function<void()> f) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!finished_) {
        callbacks_.push_back(std::move(f));
        return;
      }
    }
    f();
  }

  // Runs the callbacks once and lets go of the session; on its strand.
  void finish() {
    std::vector<std::function<void()>> callbacks;
    std::shared_ptr<http_session> s;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (finished_)
        return;
      finished_ = true;
      callbacks.swap(callbacks_);
      s.swap(session_);
    }
    for (auto& f : callbacks)
      f();
  }

 private:
  std::shared_ptr<http_session> session() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return session_;
  }

  mutable std::mutex mtx_;
  // Strong until the exchange ends: nothing else keeps an idle connection
  // alive while the handler works on the answer.
  std::shared_ptr<http_session> session_;
  std::vector<std::function<void()>> callbacks_;
  bool finished_ = false;
  std::atomic<bool> answered_{false};
};

class http_session : public session_base,
                     public std::enable_shared_from_this<http_session> {
 public:
  http_session(server_state_ptr st, tcp::socket sock)
      : state_(std::move(st)),
        stream_(std::move(sock)),
        ex_(stream_.get_executor()),
        linger_timer_(ex_) {
    boost::system::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    if (!ec)
      remote_ = to_string(ep);
  }

  ~http_session() override {
    state_->remove(this);
  }

  void run() {
    if (!state_->add(shared_from_this())) {
      boost::system::error_code ec;
      stream_.socket().close(ec);
      return;
    }
    net::dispatch(ex_, [self = shared_from_this()] { self->do_read(); });
  }

  void shutdown() override {
    post([self = shared_from_this()] { self->close_now(); });
  }

  void force_close() override {
    close_now();
  }

  // -- called by exchange_impl on any thread ----------------------------------

  // The posted work keeps the exchange alive: its close callbacks must run
  // even when the handler drops it right after answering.
  void post_respond(std::shared_ptr<exchange_impl> ex, http_response res) {
    post([self = shared_from_this(), ex = std::move(ex),
          res = std::move(res)]() mutable {
      self->do_respond(std::move(ex), std::move(res));
    });
  }

  void post_start_stream(std::shared_ptr<exchange_impl> ex,
                         http_response head) {
    post([self = shared_from_this(), ex = std::move(ex),
          head = std::move(head)]() mutable {
      self->do_start_stream(std::move(ex), std::move(head));
    });
  }

  // Counts this stream as a slow consumer, once (the queue bound and the
  // write timeout may both notice it).
  void count_slow_consumer() {
    if (slow_counted_.exchange(true))
      return;
    if (state_->opts.observer)
      state_->opts.observer(connection_event::sse_slow_consumer, 1);
  }

  size_t queued_out_bytes() const {
    return out_bytes_.load(std::memory_order_relaxed);
  }

  size_t max_queued_out_bytes() const {
    return state_->opts.max_queue_bytes;
  }

  bool post_write(protocol::frame chunk) {
    if (gone_)
      return false;
    if (!chunk || chunk->empty())
      return true;
    auto total = out_bytes_ += chunk->size();
    // The bound is on backlog: one chunk larger than the bound is not a
    // sign of a slow reader.
    if (total > state_->opts.max_queue_bytes && total != chunk->size()) {
      gone_ = true;
      count_slow_consumer();
      post([self = shared_from_this()] { self->close_now(); });
      return false;
    }
    post([self = shared_from_this(), chunk = std::move(chunk)]() mutable {
      self->do_push(std::move(chunk));
    });
    return true;
  }

  void post_end() {
    post([self = shared_from_this()] { self->do_end(); });
  }

 private:
  enum class phase { reading, waiting, responding, streaming, closing, done };

  using response = http::response<http::string_body>;

  template<class F>
  void post(F&& f) {
    if (!state_->stopped)
      net::post(ex_, std::forward<F>(f));
  }

  // -- reading requests -------------------------------------------------------

  void do_read() {
    if (phase_ == phase::done)
      return;
    phase_ = phase::reading;
    parser_.emplace();
    parser_->body_limit(state_->opts.max_body_bytes);
    parser_->header_limit(header_limit);
    stream_.expires_after(state_->opts.handshake_timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](boost::system::error_code ec, size_t) {
          self->on_read(ec);
        });
  }

  void on_read(boost::system::error_code ec) {
    if (phase_ == phase::done)
      return;
    if (ec == http::error::body_limit) {
      reply_error(http::status::payload_too_large, "too_large",
                  "request body exceeds " +
                      std::to_string(state_->opts.max_body_bytes) + " bytes",
                  false);
      return;
    }
    if (ec == http::error::header_limit) {
      reply_error(http::status::request_header_fields_too_large, "too_large",
                  "request header too large", false);
      return;
    }
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == http::error::partial_message) {
      close_now();
      return;
    }
    if (ec) {
      if (ec.category() ==
          http::make_error_code(http::error::bad_target).category())
        reply_error(http::status::bad_request, "bad_message",
                    "malformed HTTP request", false);
      else
        close_now();
      return;
    }
    stream_.expires_never();
    auto req = parser_->release();
    parser_.reset();
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    std::optional<http_response> refusal;
    try {
      refusal = state_->hdl->screen(to_http_request(req, remote_));
    } catch (const std::exception& e) {
      refusal = http_response{500,
                              "application/json",
                              protocol::error_json("internal", e.what()),
                              {}};
    }
    if (refusal) {
      keep_alive_ = false;
      auto ex = std::make_shared<exchange_impl>(shared_from_this());
      exchange_ = ex;
      phase_ = phase::waiting;
      ex->respond(std::move(*refusal));
      return;
    }
    std::string_view target{req.target().data(), req.target().size()};
    auto path = target.substr(0, target.find('?'));
    if (path == "/ws") {
      if (beast::websocket::is_upgrade(req)) {
        upgrade(std::move(req));
        return;
      }
      reply_error(http::status::bad_request, "bad_message",
                  "expected a WebSocket upgrade", keep_alive_);
      return;
    }
    auto ex = std::make_shared<exchange_impl>(shared_from_this());
    exchange_ = ex;
    phase_ = phase::waiting;
    try {
      state_->hdl->on_http(to_http_request(req, remote_), ex);
    } catch (const std::exception& e) {
      ex->respond(http_response{500,
                                "application/json",
                                protocol::error_json("internal", e.what()),
                                {}});
    }
  }

  void upgrade(beast_request req) {
    phase_ = phase::done;
    gone_ = true;
    state_->remove(this);
    start_websocket_session(state_, std::move(stream_), std::move(req),
                            remote_);
  }

  // -- complete responses -----------------------------------------------------

  void do_respond(std::shared_ptr<exchange_impl> ex, http_response r) {
    if (phase_ != phase::waiting)
      return;
    answered_ = std::move(ex);
    auto res = std::make_shared<response>();
    res->version(version_);
    res->result(static_cast<unsigned>(r.status));
    res->set(http::field::server, "switchboard");
    res->set(http::field::content_type, strip_crlf(std::move(r.content_type)));
    for (auto& [name, value] : r.headers)
      res->insert(strip_crlf(name), strip_crlf(value));
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive_);
    res->prepare_payload();
    write_response(std::move(res), !keep_alive_);
  }

  void reply_error(http::status status, std::string_view code,
                   std::string_view message, bool keep_alive) {
    auto res = std::make_shared<response>(status, version_);
    res->set(http::field::server, "switchboard");
    res->set(http::field::content_type, "application/json");
    res->body() = protocol::error_json(code, message);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    write_response(std::move(res), !keep_alive);
  }

  void write_response(std::shared_ptr<response> res, bool close_after) {
    phase_ = phase::responding;
    res_ = std::move(res);
    stream_.expires_after(state_->opts.handshake_timeout);
    http::async_write(stream_, *res_,
                      [self = shared_from_this(),
                       close_after](boost::system::error_code ec, size_t) {
                        self->on_respond(ec, close_after);
                      });
  }

  void on_respond(boost::system::error_code ec, bool close_after) {
    res_.reset();
    if (phase_ == phase::done)
      return;
    if (ec) {
      close_now();
      return;
    }
    end_exchange();
    if (close_after)
      linger();
    else
      do_read();
  }

  // -- streamed responses -----------------------------------------------------

  void do_start_stream(std::shared_ptr<exchange_impl> ex, http_response head) {
    if (phase_ != phase::waiting)
      return;
    answered_ = std::move(ex);
    phase_ = phase::streaming;
    auto status = static_cast<unsigned>(head.status);
    std::string text = "HTTP/1.1 " + std::to_string(status) + " ";
    text += http::obsolete_reason(http::int_to_status(status));
    text += "\r\nServer: switchboard\r\nContent-Type: ";
    text += strip_crlf(std::move(head.content_type));
    text += "\r\n";
    for (auto& [name, value] : head.headers)
      text += strip_crlf(name) + ": " + strip_crlf(value) + "\r\n";
    // Without a length the body ends when the connection does.
    text += "Connection: close\r\n\r\n";
    out_bytes_ += text.size();
    out_.push_front(protocol::make_frame(std::move(text)));
    // Reading is how we learn that the peer went away.
    start_watch();
    do_stream_write();
  }

  void do_push(protocol::frame chunk) {
    if (phase_ != phase::waiting && phase_ != phase::streaming) {
      out_bytes_ -= chunk->size();
      return;
    }
    if (end_pending_) {
      out_bytes_ -= chunk->size();
      return;
    }
    out_.push_back(std::move(chunk));
    if (phase_ == phase::streaming && !writing_)
      do_stream_write();
  }

  void do_stream_write() {
    writing_ = true;
    // An event arrives as three chunks (head, shared JSON, blank line) and
    // more queue up while a write is in flight: merge what is queued (up to
    // 64 KiB) into the front chunk, so that one send() carries it all
    // instead of one per chunk. The sizes add up, so the byte accounting of
    // on_stream_write still holds.
    if (out_.size() > 1 && out_.front()->size() < 65536) {
      std::string merged;
      size_t n = 0;
      while (n < out_.size() && merged.size() < 65536)
        merged += *out_[n++];
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(n));
      out_.push_front(protocol::make_frame(std::move(merged)));
    }
    // Only sets the write deadline: the watching read is already pending. A
    // client that reads nothing for this long is a stalled reader.
    stream_.expires_after(state_->opts.write_timeout);
    net::async_write(
        stream_, net::buffer(*out_.front()),
        [self = shared_from_this()](boost::system::error_code ec, size_t) {
          self->on_stream_write(ec);
        });
  }

  void on_stream_write(boost::system::error_code ec) {
    writing_ = false;
    out_bytes_ -= out_.front()->size();
    out_.pop_front();
    // Counted first: the timeout also ends the watching read, whose handler
    // may have closed the stream already.
    if (ec == beast::error::timeout)
      count_slow_consumer();
    if (phase_ != phase::streaming)
      return;
    if (ec) {
      close_now();
      return;
    }
    if (!out_.empty()) {
      do_stream_write();
    } else {
      // Idle: the deadline was for the write only, not for the watching
      // read (heartbeats may come later than the write timeout).
      stream_.expires_never();
      if (end_pending_)
        linger();
    }
  }

  void do_end() {
    if (phase_ == phase::waiting) {
      // Ended without an answer: all we can do is hang up.
      close_now();
      return;
    }
    if (phase_ != phase::streaming)
      return;
    end_pending_ = true;
    if (!writing_ && out_.empty())
      linger();
  }

  // -- reading while not parsing requests -------------------------------------

  void start_watch() {
    if (read_in_flight_)
      return;
    read_in_flight_ = true;
    // Clears the read deadline only: a write may be pending.
    stream_.expires_never();
    stream_.async_read_some(
        net::buffer(discard_),
        [self = shared_from_this()](boost::system::error_code ec, size_t n) {
          self->on_watch(ec, n);
        });
  }

  void on_watch(boost::system::error_code ec, size_t n) {
    read_in_flight_ = false;
    if (phase_ == phase::done)
      return;
    if (ec) {
      close_now();
      return;
    }
    discarded_ += n;
    if (phase_ == phase::closing && discarded_ > linger_limit) {
      close_now();
      return;
    }
    start_watch();
  }

  // -- closing ----------------------------------------------------------------

  void linger() {
    phase_ = phase::closing;
    gone_ = true;
    end_exchange();
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      close_now();
      return;
    }
    discarded_ = 0;
    linger_timer_.expires_after(linger_timeout);
    linger_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (!ec)
            self->close_now();
        });
    start_watch();
  }

  void close_now() {
    if (phase_ == phase::done)
      return;
    phase_ = phase::done;
    gone_ = true;
    linger_timer_.cancel();
    boost::system::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    // A pending write still reads the front buffer until it completes.
    while (out_.size() > (writing_ ? 1u : 0u))
      out_.pop_back();
    end_exchange();
    state_->remove(this);
  }

  void end_exchange() {
    auto ex = answered_ ? std::move(answered_) : exchange_.lock();
    answered_.reset();
    exchange_.reset();
    if (ex)
      ex->finish();
  }

  // Destroyed last: the io_context inside must outlive the socket.
  server_state_ptr state_;
  beast::tcp_stream stream_;
  net::any_io_executor ex_;
  net::steady_timer linger_timer_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<response> res_;
  // Weak while the handler works on it: a dropped exchange frees the
  // session. Strong once answered, until the exchange ends.
  std::weak_ptr<exchange_impl> exchange_;
  std::shared_ptr<exchange_impl> answered_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  phase phase_ = phase::reading;
  bool read_in_flight_ = false;
  bool writing_ = false;
  bool end_pending_ = false;
  size_t discarded_ = 0;
  std::array<char, 1024> discard_;
  std::deque<protocol::frame> out_;
  std::atomic<size_t> out_bytes_{0};
  std::atomic<bool> slow_counted_{false};
  std::atomic<bool> gone_{false};
};

void exchange_impl::respond(http_response res) {
  if (answered_.exchange(true))
    return;
  if (auto s = session())
    s->post_respond(shared_from_this(), std::move(res));
}

void exchange_impl::start_stream(http_response head) {
  if (answered_.exchange(true))
    return;
  if (auto s = session())
    s->post_start_stream(shared_from_this(), std::move(head));
}

bool exchange_impl::write(protocol::frame chunk) {
  if (auto s = session())
    return s->post_write(std::move(chunk));
  return false;
}

size_t exchange_impl::queued_bytes() const {
  if (auto s = session())
    return s->queued_out_bytes();
  return 0;
}

size_t exchange_impl::max_queued_bytes() const {
  if (auto s = session())
    return s->max_queued_out_bytes();
  return 0;
}

void exchange_impl::end() {
  answered_ = true;
  if (auto s = session())
    s->post_end();
}

} // namespace

void start_http_session(server_state_ptr st, tcp::socket sock) {
  std::make_shared<http_session>(std::move(st), std::move(sock))->run();
}

} // namespace switchboard::transport
