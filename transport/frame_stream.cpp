#include "transport/frame_stream.hpp"

#include <boost/asio/write.hpp>

namespace switchboard::transport {

namespace net = boost::asio;

namespace {

// One write carries at most this much, unless a single frame is larger.
constexpr size_t max_write_bytes = 64 * 1024;
// Payloads up to this size are copied into the write's buffer; larger ones
// are passed by reference (a copy would cost more than a second buffer).
constexpr size_t max_copied_payload = 16 * 1024;
// Asio hands at most 64 buffers to one sendmsg call.
constexpr size_t max_buffers = 64;

std::string text_header(size_t n) {
  std::string h;
  h.push_back(static_cast<char>(0x81)); // FIN, text
  if (n < 126) {
    h.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    h.push_back(static_cast<char>(126));
    h.push_back(static_cast<char>((n >> 8) & 0xff));
    h.push_back(static_cast<char>(n & 0xff));
  } else {
    h.push_back(static_cast<char>(127));
    for (int shift = 56; shift >= 0; shift -= 8)
      h.push_back(
          static_cast<char>((static_cast<uint64_t>(n) >> shift) & 0xff));
  }
  return h;
}

} // namespace

frame_stream::frame_stream(boost::beast::tcp_stream next)
    : next_(std::move(next)) {}

void frame_stream::push_text(protocol::frame payload) {
  if (failed_ || !payload)
    return;
  auto header = text_header(payload->size());
  push(chunk{std::move(header), std::move(payload)});
}

void frame_stream::push_bytes(std::string bytes) {
  push(chunk{std::move(bytes), nullptr});
}

void frame_stream::push(chunk c) {
  auto n = c.size();
  queue_.push_back(std::move(c));
  queued_bytes_ += n;
  changed(static_cast<int64_t>(n));
  if (in_flight_ == 0)
    write();
}

size_t frame_stream::drop_data() {
  size_t dropped = 0;
  util::fifo<chunk> kept;
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (i >= in_flight_ && queue_[i].payload) {
      dropped += queue_[i].size();
      continue;
    }
    kept.push_back(std::move(queue_[i]));
  }
  queue_ = std::move(kept);
  queued_bytes_ -= dropped;
  if (dropped > 0)
    changed(-static_cast<int64_t>(dropped));
  return dropped;
}

void frame_stream::after_flush(std::function<void()> f) {
  if (queue_.empty() || failed_) {
    f();
    return;
  }
  flushed_.push_back(std::move(f));
}

void frame_stream::write() {
  // Gathers from the front of the queue: small frames are copied into the
  // staging buffer, large payloads are referenced. The staging buffer is
  // filled first and referenced after, as it may grow meanwhile.
  struct piece {
    const char* data; // null: `size` bytes at `offset` of staging_
    size_t offset;
    size_t size;
  };
  std::vector<piece> pieces;
  staging_.clear();
  size_t total = 0;
  size_t n = 0;
  auto stage = [&](const char* p, size_t len) {
    if (!pieces.empty() && pieces.back().data == nullptr &&
        pieces.back().offset + pieces.back().size == staging_.size())
      pieces.back().size += len;
    else
      pieces.push_back(piece{nullptr, staging_.size(), len});
    staging_.append(p, len);
  };
  while (n < queue_.size() && (n == 0 || total < max_write_bytes) &&
         pieces.size() + 2 <= max_buffers) {
    auto& c = queue_[n];
    stage(c.bytes.data(), c.bytes.size());
    if (c.payload) {
      if (c.payload->size() <= max_copied_payload)
        stage(c.payload->data(), c.payload->size());
      else
        pieces.push_back(piece{c.payload->data(), 0, c.payload->size()});
    }
    total += c.size();
    ++n;
  }
  buffers_.clear();
  for (auto& p : pieces)
    buffers_.emplace_back(p.data ? p.data : staging_.data() + p.offset, p.size);
  in_flight_ = n;
  in_flight_bytes_ = total;
  write_started_ = std::chrono::steady_clock::now();
  net::async_write(next_, buffers_,
                   [this, keep = owner_.lock()](boost::system::error_code ec,
                                                size_t) { on_written(ec); });
}

void frame_stream::on_written(boost::system::error_code ec) {
  for (size_t i = 0; i < in_flight_; ++i)
    queue_.pop_front();
  queued_bytes_ -= in_flight_bytes_;
  auto written = in_flight_bytes_;
  in_flight_ = 0;
  in_flight_bytes_ = 0;
  if (ec) {
    failed_ = ec;
    for (auto& c : queue_)
      written += c.size();
    queued_bytes_ = 0;
    queue_.clear();
    // The read loop sees the socket closed and ends the session.
    boost::system::error_code ignored;
    next_.socket().close(ignored);
  }
  changed(-static_cast<int64_t>(written));
  if (!queue_.empty()) {
    write();
    return;
  }
  // An idle connection keeps no write buffer.
  if (staging_.capacity() > 4096)
    std::string{}.swap(staging_);
  if (buffers_.capacity() > 64)
    std::vector<net::const_buffer>{}.swap(buffers_);
  auto waiting = std::move(flushed_);
  flushed_.clear();
  for (auto& f : waiting)
    f();
}

void frame_stream::changed(int64_t delta) {
  if (on_queued_)
    on_queued_(delta);
}

void teardown(boost::beast::role_type role, frame_stream& s,
              boost::system::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, s.next_layer(), ec);
}

} // namespace switchboard::transport
