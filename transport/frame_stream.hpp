#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "protocol/frame.hpp"
#include "util/fifo.hpp"

// Private to transport/.

namespace switchboard::transport {

/// The write side of one WebSocket connection: a TCP stream that queues
/// whole frames and writes its queue with one gather write at a time.
/// Beast's WebSocket stream sits on top of it for the handshake, reads,
/// control frames and the close; the session's data frames go straight into
/// the queue. Both share this one writer, so frames never interleave, and a
/// burst of events leaves in a few `sendmsg` calls instead of one each.
class frame_stream {
 public:
  /// The executor of the TCP stream (the connection's strand).
  using executor_type = boost::beast::tcp_stream::executor_type;

  /// Wraps `next`.
  explicit frame_stream(boost::beast::tcp_stream next);

  /// Returns the TCP stream's executor.
  executor_type get_executor() noexcept {
    return next_.get_executor();
  }

  /// Returns the TCP stream.
  boost::beast::tcp_stream& next_layer() noexcept {
    return next_;
  }

  /// Returns the TCP stream.
  const boost::beast::tcp_stream& next_layer() const noexcept {
    return next_;
  }

  /// Reads from the TCP stream.
  template<class MutableBuffers, class ReadHandler>
  auto async_read_some(const MutableBuffers& buffers, ReadHandler&& handler) {
    return next_.async_read_some(buffers, std::forward<ReadHandler>(handler));
  }

  /// Beast's writes (the handshake response, control frames): copied into
  /// the queue whole, so they complete at once (posted) without waiting for
  /// the socket.
  template<class ConstBuffers, class WriteHandler>
  auto async_write_some(const ConstBuffers& buffers, WriteHandler&& handler) {
    return boost::asio::async_initiate<WriteHandler,
                                       void(boost::system::error_code, size_t)>(
        [this](auto h, const ConstBuffers& bufs) {
          auto ec = failed_;
          size_t n = 0;
          if (!ec) {
            n = boost::asio::buffer_size(bufs);
            std::string bytes(n, '\0');
            boost::asio::buffer_copy(boost::asio::buffer(bytes), bufs);
            push_bytes(std::move(bytes));
          }
          auto ex = boost::asio::get_associated_executor(h, get_executor());
          boost::asio::post(
              ex, boost::beast::bind_front_handler(std::move(h), ec, n));
        },
        handler, buffers);
  }

  /// Queues `payload` as one unmasked text frame (FIN set).
  void push_text(protocol::frame payload);

  /// Drops the queued data frames no write has started on (control frames
  /// stay); returns the bytes dropped.
  size_t drop_data();

  /// Bytes queued, including the write in flight.
  size_t queued_bytes() const noexcept {
    return queued_bytes_;
  }

  /// Bytes queued behind the write in flight.
  size_t backlog_bytes() const noexcept {
    return queued_bytes_ - in_flight_bytes_;
  }

  /// True while a write is in flight.
  bool writing() const noexcept {
    return in_flight_ > 0;
  }

  /// When the write in flight started.
  std::chrono::steady_clock::time_point write_started() const noexcept {
    return write_started_;
  }

  /// Calls `f` with the change of `queued_bytes()` whenever it changes.
  void on_queued(std::function<void(int64_t)> f) {
    on_queued_ = std::move(f);
  }

  /// Runs `f` once everything queued has been written (or a write failed).
  void after_flush(std::function<void()> f);

  /// Drops the functions waiting for the queue to be written, unrun.
  void forget_waiters() {
    flushed_.clear();
  }

  /// Keeps `owner` (the connection holding this stream) alive while a
  /// write is in flight.
  void owner(std::weak_ptr<void> owner) {
    owner_ = std::move(owner);
  }

 private:
  struct chunk {
    // A data frame: its header here, its payload shared. A control frame
    // or handshake bytes from Beast: all of them here.
    std::string bytes;
    protocol::frame payload;
    size_t size() const noexcept {
      return bytes.size() + (payload ? payload->size() : 0);
    }
  };

  void push_bytes(std::string bytes);
  void push(chunk c);
  void write();
  void on_written(boost::system::error_code ec);
  void changed(int64_t delta);

  boost::beast::tcp_stream next_;
  util::fifo<chunk> queue_;
  // Small frames are copied into one buffer per write: Asio passes at most
  // 64 buffers to one sendmsg call.
  std::string staging_;
  std::vector<boost::asio::const_buffer> buffers_;
  size_t in_flight_ = 0;
  size_t in_flight_bytes_ = 0;
  size_t queued_bytes_ = 0;
  std::chrono::steady_clock::time_point write_started_;
  boost::system::error_code failed_;
  std::function<void(int64_t)> on_queued_;
  std::vector<std::function<void()>> flushed_;
  std::weak_ptr<void> owner_;
};

/// Beast's teardown of a WebSocket over a `frame_stream`: after the queued
/// bytes (the close frame among them) are written.
void teardown(boost::beast::role_type role, frame_stream& s,
              boost::system::error_code& ec);

/// Asynchronous teardown: waits for the queue, then tears the TCP stream
/// down.
template<class TeardownHandler>
void async_teardown(boost::beast::role_type role, frame_stream& s,
                    TeardownHandler&& handler) {
  auto h = std::make_shared<std::decay_t<TeardownHandler>>(
      std::forward<TeardownHandler>(handler));
  s.after_flush([role, &s, h] {
    using boost::beast::websocket::async_teardown;
    async_teardown(role, s.next_layer(), std::move(*h));
  });
}

} // namespace switchboard::transport
