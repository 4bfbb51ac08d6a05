#include "transport/websocket_session.hpp"

#include <atomic>
#include <iostream>
#include <optional>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "log/logger.hpp"
#include "protocol/json.hpp"
#include "transport/frame_stream.hpp"

namespace switchboard::transport {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace net = boost::asio;

namespace {

// Beast throws when a close reason is longer than a close frame can carry.
constexpr size_t max_reason_size = 123;
constexpr size_t read_chunk_bytes = 64 * 1024;
// What an idle connection's pending read holds: most client messages are
// small, and a larger one reads on in `read_chunk_bytes` pieces.
constexpr size_t idle_read_bytes = 1024;
constexpr std::chrono::seconds close_linger{1};

// Chooses the subprotocol to echo: ours if offered, else the first offered.
// Picks the subprotocol to echo: switchboard.v1, else the first offered
// entry that is not a credential. A `bearer.TOKEN` entry is never echoed:
// response headers end up in proxies' and browsers' logs.
std::string pick_subprotocol(const std::string& offered) {
  auto items = util::split_list(offered);
  for (auto& item : items)
    if (item == "switchboard.v1")
      return item;
  for (auto& item : items)
    if (item.rfind("bearer.", 0) != 0)
      return item;
  return {};
}

class websocket_session
    : public connection,
      public session_base,
      public std::enable_shared_from_this<websocket_session> {
 public:
  websocket_session(server_state_ptr st, beast::tcp_stream stream,
                    beast_request req, std::string remote)
      : state_(std::move(st)),
        ws_(frame_stream{std::move(stream)}),
        ex_(ws_.get_executor()),
        req_(std::move(req)),
        remote_(std::move(remote)) {}

  ~websocket_session() override {
    state_->remove(this);
    if (queued_bytes_ > 0)
      observe(connection_event::queue_bytes,
              -static_cast<int64_t>(queued_bytes_.load()));
    // Only reached without `finish` when the io_context dropped our handlers.
    if (auto in = std::move(inbound_))
      in->on_closed();
  }

  void run() {
    if (!state_->add(shared_from_this())) {
      boost::system::error_code ec;
      beast::get_lowest_layer(ws_).socket().close(ec);
      return;
    }
    auto& opts = state_->opts;
    auto& out = ws_.next_layer();
    out.owner(shared_from_this());
    out.on_queued([this](int64_t delta) {
      queued_bytes_ += delta;
      observe(connection_event::queue_bytes, delta);
    });
    // The websocket stream has its own timeouts; the TCP one must be off.
    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = opts.handshake_timeout;
    // Our own check (do_ping) closes silent peers with 1011 after three
    // heartbeats; Beast's idle timeout is only the backstop.
    timeouts.idle_timeout = 4 * opts.heartbeat;
    timeouts.keep_alive_pings = true;
    ws_.set_option(timeouts);
    last_heard_ = std::chrono::steady_clock::now();
    ws_.control_callback([this](websocket::frame_type, beast::string_view) {
      last_heard_ = std::chrono::steady_clock::now();
    });
    // Browsers that offer subprotocols (e.g. "bearer.TOKEN" for auth) need
    // one echoed back, or they fail the handshake.
    auto protocol = pick_subprotocol(
        std::string{req_[http::field::sec_websocket_protocol]});
    ws_.set_option(websocket::stream_base::decorator(
        [protocol](websocket::response_type& res) {
          if (!protocol.empty())
            res.set(http::field::sec_websocket_protocol, protocol);
          res.set(http::field::server, "switchboard");
        }));
    websocket::permessage_deflate pmd;
    pmd.server_enable = false;
    pmd.client_enable = false;
    ws_.set_option(pmd);
    ws_.read_message_max(0); // Counted by on_read.
    ws_.async_accept(req_,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       self->on_accept(ec);
                     });
  }

  // -- connection -------------------------------------------------------------

  void send(protocol::frame f) override {
    if (!f)
      return;
    posted_bytes_ += f->size();
    post([self = shared_from_this(), f = std::move(f)]() mutable {
      self->do_send(std::move(f));
    });
  }

  void send(std::vector<protocol::frame> fs) override {
    size_t n = 0;
    for (auto& f : fs)
      n += f ? f->size() : 0;
    posted_bytes_ += n;
    post([self = shared_from_this(), fs = std::move(fs)]() mutable {
      for (auto& f : fs)
        if (f)
          self->do_send(std::move(f));
    });
  }

  void close(uint16_t code, std::string reason) override {
    post([self = shared_from_this(), code,
          reason = std::move(reason)]() mutable {
      // 1013 is the session's verdict that the client reads too slowly:
      // what is queued would never leave, so the close frame goes first.
      auto slow = code == websocket::close_code::try_again_later;
      if (slow && !self->close_pending_ && !self->finished_)
        self->observe(connection_event::slow_consumer, 1);
      self->request_close(code, std::move(reason), slow);
    });
  }

  void ping() override {
    post([self = shared_from_this()] { self->do_ping(); });
  }

  std::string remote() const override {
    return remote_;
  }

  size_t queued_bytes() const override {
    auto queued = queued_bytes_.load(std::memory_order_relaxed);
    return static_cast<size_t>(std::max<int64_t>(queued, 0)) +
           posted_bytes_.load(std::memory_order_relaxed);
  }

  size_t max_queued_bytes() const override {
    return state_->opts.max_queue_bytes;
  }

  // -- session_base -----------------------------------------------------------

  void shutdown() override {
    post([self = shared_from_this()] {
      self->request_close(websocket::close_code::going_away,
                          "server shutting down", false);
    });
  }

  void force_close() override {
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().close(ec);
  }

 private:
  void observe(connection_event e, int64_t amount) {
    if (state_->opts.observer)
      state_->opts.observer(e, amount);
  }

  template<class F>
  void post(F&& f) {
    if (!state_->stopped)
      net::post(ex_, std::forward<F>(f));
  }

  void on_accept(boost::system::error_code ec) {
    if (ec) {
      // Beast's refusal (400, 426) is queued: it leaves before the socket
      // closes, within the linger at most.
      linger();
      ws_.next_layer().after_flush(
          [self = shared_from_this()] { self->finish(); });
      return;
    }
    accepted_ = true;
    opened_ = std::chrono::steady_clock::now();
    log::info("connection opened",
              {{"transport", "websocket"}, {"peer", remote_}});
    if (!close_pending_) {
      try {
        inbound_ = state_->hdl->on_websocket(shared_from_this(),
                                             to_http_request(req_, remote_));
        if (!inbound_)
          request_close(websocket::close_code::policy_error, "rejected", false);
      } catch (const std::exception& e) {
        log::error("accepting a WebSocket failed", {{"what", e.what()}});
        request_close(websocket::close_code::internal_error, "internal error",
                      false);
      }
    }
    req_ = {};
    do_read();
    // What was sent during the handshake follows its response.
    auto early = std::move(early_);
    early_.clear();
    for (auto& f : early) {
      queued_bytes_ -= f->size();
      observe(connection_event::queue_bytes, -static_cast<int64_t>(f->size()));
      push(std::move(f));
    }
    if (close_pending_)
      do_close();
  }

  // -- reading ----------------------------------------------------------------

  // Reads in pieces and counts the message size itself (Beast's own limit
  // is off): Beast would close with 1009 on its own, before the client could
  // be told why with a `too_large` error.
  void do_read() {
    ws_.async_read_some(
        buffer_, buffer_.size() == 0 ? idle_read_bytes : read_chunk_bytes,
        [self = shared_from_this()](boost::system::error_code ec, size_t) {
          self->on_read(ec);
        });
  }

  void on_read(boost::system::error_code ec) {
    if (ec) {
      // Beast's idle timeout: the backstop of the heartbeat check.
      if (ec == beast::error::timeout && !close_pending_ && !finished_)
        observe(connection_event::heartbeat_lost, 1);
      finish();
      return;
    }
    last_heard_ = std::chrono::steady_clock::now();
    if (buffer_.size() > state_->opts.max_message_bytes) {
      refuse_too_large();
      return;
    }
    if (!ws_.is_message_done()) {
      do_read();
      return;
    }
    if (inbound_ && !closing_) {
      try {
        if (ws_.got_text())
          inbound_->on_text(beast::buffers_to_string(buffer_.data()));
        else
          inbound_->on_binary();
      } catch (const std::exception& e) {
        log::error("handling a WebSocket message failed",
                   {{"peer", remote_}, {"what", e.what()}});
        request_close(websocket::close_code::internal_error, "internal error",
                      true);
      }
    }
    buffer_.consume(buffer_.size());
    // One large message must not pin its buffer for the connection's life.
    if (buffer_.capacity() > 16 * 1024)
      buffer_.shrink_to_fit();
    do_read();
  }

  // Sends `too_large`, then closes with 1009 after what is queued; reading
  // stops (the close handshake drains the rest of the message).
  void refuse_too_large() {
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
    if (inbound_)
      inbound_->on_too_large();
    auto f = protocol::make_frame(protocol::error_json(
        "too_large", "message exceeds the limit of " +
                         std::to_string(state_->opts.max_message_bytes) +
                         " bytes"));
    // do_send settles the bytes that send() would have counted as posted.
    posted_bytes_ += f->size();
    do_send(std::move(f));
    request_close(websocket::close_code::too_big, "message too big", false);
  }

  // -- writing ---------------------------------------------------------------

  void do_send(protocol::frame f) {
    posted_bytes_ -= f->size();
    // Once a close frame is queued (ours, or Beast's answer to the peer's)
    // no data frame may follow it.
    if (finished_ || close_pending_ || (accepted_ && !ws_.is_open()))
      return;
    // The bound is on backlog, not on one message: a reply larger than the
    // bound, alone or being written, is not a sign of a slow reader.
    auto backlog = accepted_ ? ws_.next_layer().backlog_bytes()
                             : static_cast<size_t>(queued_bytes_);
    if (backlog > 0 && backlog + f->size() > state_->opts.max_queue_bytes) {
      observe(connection_event::slow_consumer, 1);
      request_close(websocket::close_code::try_again_later, "slow consumer",
                    true);
      return;
    }
    if (!accepted_) {
      // Held until the handshake's response is out.
      queued_bytes_ += f->size();
      observe(connection_event::queue_bytes, static_cast<int64_t>(f->size()));
      early_.push_back(std::move(f));
      return;
    }
    push(std::move(f));
  }

  // Queues a data frame: the stream writes everything queued so far with
  // one gather write as soon as the previous write is done, so a lone event
  // leaves at once and a burst leaves together.
  void push(protocol::frame f) {
    ws_.next_layer().push_text(std::move(f));
    arm_write_timer();
  }

  // One timer per connection, re-armed at most once per timeout: a write
  // that makes no progress for `write_timeout` means a reader that stopped.
  // No close frame can pass a full socket, so the connection just ends.
  void arm_write_timer() {
    auto& out = ws_.next_layer();
    if (write_timer_armed_ || !out.writing())
      return;
    write_timer_armed_ = true;
    write_timer_.expires_at(out.write_started() + state_->opts.write_timeout);
    write_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          self->write_timer_armed_ = false;
          auto& out = self->ws_.next_layer();
          if (ec || self->finished_ || !out.writing())
            return;
          if (std::chrono::steady_clock::now() - out.write_started() >=
              self->state_->opts.write_timeout) {
            // A connection already closing was counted for its reason.
            if (!self->close_pending_)
              self->observe(connection_event::slow_consumer, 1);
            self->force_close();
            self->finish();
            return;
          }
          self->arm_write_timer();
        });
  }

  // Drops every queued data frame except those being written.
  void drop_queue() {
    for (auto& f : early_) {
      queued_bytes_ -= f->size();
      observe(connection_event::queue_bytes, -static_cast<int64_t>(f->size()));
    }
    early_.clear();
    ws_.next_layer().drop_data();
  }

  void do_ping() {
    if (!accepted_ || finished_ || closing_)
      return;
    if (std::chrono::steady_clock::now() - last_heard_ >
        3 * state_->opts.heartbeat) {
      if (!close_pending_)
        observe(connection_event::heartbeat_lost, 1);
      // A peer presumed gone reads nothing more: drop its queue, as for a
      // slow consumer.
      request_close(websocket::close_code::internal_error, "heartbeat lost",
                    true);
      return;
    }
    if (ping_in_flight_)
      return;
    ping_in_flight_ = true;
    ws_.async_ping({}, [self = shared_from_this()](boost::system::error_code) {
      self->ping_in_flight_ = false;
    });
  }

  // -- closing ----------------------------------------------------------------

  void request_close(uint16_t code, std::string reason, bool drop) {
    if (finished_ || close_pending_)
      return;
    if (drop)
      drop_queue();
    if (reason.size() > max_reason_size)
      reason.resize(max_reason_size);
    websocket::close_reason cr;
    cr.code = code;
    cr.reason = reason;
    close_pending_ = cr;
    // A peer that does not answer the close frame keeps its descriptor no
    // longer than `close_linger` after what is queued has been written. When
    // the queue was dropped (a peer too slow or gone) that is from now: what
    // is in flight may never drain. A stalled graceful close is covered by
    // the write timeout.
    if (drop)
      linger();
    else
      ws_.next_layer().after_flush(
          [self = shared_from_this()] { self->linger(); });
    // The close frame queues behind the data frames.
    if (accepted_)
      do_close();
  }

  // Ends the connection `close_linger` from now unless it ended by then.
  void linger() {
    if (finished_ || lingering_)
      return;
    lingering_ = true;
    close_timer_.expires_after(close_linger);
    close_timer_.async_wait(
        [self = shared_from_this()](boost::system::error_code ec) {
          if (!ec && !self->finished_) {
            self->force_close();
            self->finish();
          }
        });
  }

  void do_close() {
    // One close operation at most: a second one on the same stream is
    // undefined (Beast asserts); on_accept after a refusal would start two.
    if (closing_)
      return;
    closing_ = true;
    // The session ends when the handshake does, also when no read is
    // pending to notice it (reading stops after a too-large message).
    ws_.async_close(*close_pending_,
                    [self = shared_from_this()](boost::system::error_code ec) {
                      if (ec)
                        self->force_close();
                      self->finish();
                    });
  }

  void finish() {
    if (finished_)
      return;
    finished_ = true;
    log_closed();
    close_timer_.cancel();
    write_timer_.cancel();
    // Waiters (Beast's teardown, our linger) hold this session: break that
    // cycle, the socket is about to close anyway.
    ws_.next_layer().forget_waiters();
    drop_queue();
    force_close();
    state_->remove(this);
    // Releasing the inbound also breaks the cycle through the handler's
    // connection_ptr.
    if (auto in = std::move(inbound_))
      in->on_closed();
  }

  // One line per connection: who, how it ended (our close code, the peer's,
  // or 1006 when no close frame was exchanged) and how long it lasted.
  void log_closed() {
    if (!accepted_ || !log::enabled(log::level::info))
      return;
    uint16_t code = 1006;
    std::string reason;
    std::string_view by = "network";
    if (close_pending_) {
      code = close_pending_->code;
      reason = std::string{close_pending_->reason.c_str()};
      by = "server";
    } else if (ws_.reason().code != websocket::close_code::none) {
      code = ws_.reason().code;
      reason = std::string{ws_.reason().reason.c_str()};
      by = "client";
    }
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - opened_)
                  .count();
    log::info("connection closed", {{"transport", "websocket"},
                                    {"peer", remote_},
                                    {"code", static_cast<int64_t>(code)},
                                    {"reason", reason},
                                    {"by", by},
                                    {"duration_ms", static_cast<int64_t>(ms)}});
  }

  // Destroyed last: the io_context inside must outlive the socket.
  server_state_ptr state_;
  websocket::stream<frame_stream> ws_;
  net::any_io_executor ex_;
  net::steady_timer close_timer_{ex_};
  net::steady_timer write_timer_{ex_};
  std::chrono::steady_clock::time_point last_written_;
  bool write_timer_armed_ = false;
  beast_request req_;
  const std::string remote_;
  beast::flat_buffer buffer_;
  inbound_ptr inbound_;
  // Frames sent before the handshake completed.
  std::vector<protocol::frame> early_;
  std::atomic<int64_t> queued_bytes_{0};
  // Bytes handed to `send` but not yet on the strand.
  std::atomic<size_t> posted_bytes_{0};
  std::optional<websocket::close_reason> close_pending_;
  bool accepted_ = false;
  std::chrono::steady_clock::time_point opened_;
  bool ping_in_flight_ = false;
  std::chrono::steady_clock::time_point last_heard_;
  bool closing_ = false;
  bool lingering_ = false;
  bool finished_ = false;
};

} // namespace

void start_websocket_session(server_state_ptr st, beast::tcp_stream stream,
                             beast_request req, std::string remote) {
  std::make_shared<websocket_session>(std::move(st), std::move(stream),
                                      std::move(req), std::move(remote))
      ->run();
}

} // namespace switchboard::transport
