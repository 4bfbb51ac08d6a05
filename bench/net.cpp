#include "bench/net.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bench {

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

std::string_view json_str(std::string_view msg, std::string_view key) {
  std::string pat = "\"" + std::string{key} + "\":\"";
  auto p = msg.find(pat);
  if (p == std::string_view::npos)
    return {};
  p += pat.size();
  auto e = msg.find('"', p);
  if (e == std::string_view::npos)
    return {};
  return msg.substr(p, e - p);
}

bool has_type(std::string_view msg, std::string_view type) {
  // The server writes "type" first; look there before searching.
  constexpr std::string_view head = "{\"type\":\"";
  if (msg.substr(0, head.size()) == head) {
    auto rest = msg.substr(head.size());
    return rest.size() > type.size() && rest.substr(0, type.size()) == type &&
           rest[type.size()] == '"';
  }
  std::string pat = "\"type\":\"" + std::string{type} + "\"";
  return msg.find(pat) != std::string_view::npos;
}

// -- loop ---------------------------------------------------------------------

loop::loop() : ep_(epoll_create1(EPOLL_CLOEXEC)) {
  if (ep_ < 0)
    throw std::runtime_error("epoll_create1 failed");
}

loop::~loop() { ::close(ep_); }

void loop::add(conn* c, bool want_out) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_out ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = c;
  epoll_ctl(ep_, EPOLL_CTL_ADD, c->fd, &ev);
}

void loop::mod(conn* c, bool want_out) {
  epoll_event ev{};
  ev.events = EPOLLIN | (want_out ? uint32_t{EPOLLOUT} : 0u);
  ev.data.ptr = c;
  epoll_ctl(ep_, EPOLL_CTL_MOD, c->fd, &ev);
}

void loop::del(conn* c) { epoll_ctl(ep_, EPOLL_CTL_DEL, c->fd, nullptr); }

bool loop::run(const std::function<bool()>& done, int64_t deadline_ns) {
  epoll_event evs[256];
  while (!done()) {
    auto left = deadline_ns - now_ns();
    if (left <= 0)
      return done();
    int ms = static_cast<int>(std::min<int64_t>(left / 1000000 + 1, 100));
    int n = epoll_wait(ep_, evs, 256, ms);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<conn*>(evs[i].data.ptr);
      if (c->st == conn::state::closed)
        continue;
      if (evs[i].events & EPOLLOUT)
        c->on_writable();
      if (c->st != conn::state::closed &&
          (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
        c->on_readable();
    }
  }
  return true;
}

// -- conn ---------------------------------------------------------------------

conn::~conn() {
  if (fd >= 0) {
    loop_.del(this);
    ::close(fd);
  }
}

bool conn::connect(uint16_t port) {
  port_ = port;
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (r < 0 && errno != EINPROGRESS) {
    ::close(fd);
    fd = -1;
    st = state::closed;
    return false;
  }
  st = mode_ == mode::ws ? state::handshake : state::open;
  if (mode_ == mode::ws)
    out_ = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
           "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\n\r\n";
  want_out_ = true;
  loop_.add(this, true);
  return true;
}

void conn::send_ws(std::string_view text) {
  // FIN + text; masked with a zero key, so the payload goes as is.
  unsigned char h[14];
  size_t n = 0;
  h[n++] = 0x81;
  if (text.size() < 126) {
    h[n++] = 0x80 | static_cast<unsigned char>(text.size());
  } else if (text.size() < 65536) {
    h[n++] = 0x80 | 126;
    h[n++] = static_cast<unsigned char>(text.size() >> 8);
    h[n++] = static_cast<unsigned char>(text.size());
  } else {
    h[n++] = 0x80 | 127;
    for (int i = 7; i >= 0; --i)
      h[n++] = static_cast<unsigned char>(uint64_t{text.size()} >> (8 * i));
  }
  for (int i = 0; i < 4; ++i)
    h[n++] = 0;
  out_.append(reinterpret_cast<char*>(h), n);
  out_.append(text);
  flush();
}

void conn::send_raw(std::string_view bytes) {
  out_.append(bytes);
  flush();
}

void conn::close() {
  if (st == state::closed)
    return;
  st = state::closed;
  if (fd >= 0) {
    loop_.del(this);
    ::close(fd);
    fd = -1;
  }
  if (on_close)
    on_close(*this);
}

void conn::flush() {
  if (st == state::closed || fd < 0)
    return;
  while (out_off_ < out_.size()) {
    auto n = ::send(fd, out_.data() + out_off_, out_.size() - out_off_,
                    MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == ENOTCONN) {  // still connecting
        if (!want_out_) {
          want_out_ = true;
          loop_.mod(this, true);
        }
        return;
      }
      close();
      return;
    }
    out_off_ += static_cast<size_t>(n);
  }
  out_.clear();
  out_off_ = 0;
  if (want_out_) {
    want_out_ = false;
    loop_.mod(this, false);
  }
}

void conn::on_writable() { flush(); }

void conn::on_readable() {
  for (;;) {
    if (in_off_ > 0 && in_off_ * 2 >= in_.size()) {
      in_.erase(0, in_off_);
      in_off_ = 0;
    }
    auto used = in_.size();
    in_.resize(used + 65536);
    auto n = ::read(fd, in_.data() + used, 65536);
    if (n <= 0) {
      in_.resize(used);
      if (n < 0 && errno == EAGAIN)
        break;
      if (n < 0 && errno == EINTR)
        continue;
      close();
      return;
    }
    in_.resize(used + static_cast<size_t>(n));
    parse();
    if (st == state::closed)
      return;
    if (n < 65536)
      break;
  }
}

void conn::parse() {
  for (;;) {
    if (st == state::closed)
      return;
    bool progressed = false;
    switch (mode_) {
      case mode::ws: progressed = parse_ws(); break;
      case mode::http: progressed = parse_http(); break;
      case mode::sse: progressed = parse_sse(); break;
    }
    if (!progressed)
      return;
  }
}

bool conn::parse_ws() {
  std::string_view in{in_.data() + in_off_, in_.size() - in_off_};
  if (st == state::handshake) {
    auto e = in.find("\r\n\r\n");
    if (e == std::string_view::npos)
      return false;
    if (in.substr(0, 12) != "HTTP/1.1 101") {
      close();
      return false;
    }
    in_off_ += e + 4;
    st = state::open;
    if (on_open)
      on_open(*this);
    return true;
  }
  if (in.size() < 2)
    return false;
  auto b0 = static_cast<unsigned char>(in[0]);
  auto b1 = static_cast<unsigned char>(in[1]);
  size_t hl = 2;
  uint64_t len = b1 & 0x7f;
  if (len == 126) {
    if (in.size() < 4)
      return false;
    len = (uint64_t{static_cast<unsigned char>(in[2])} << 8) |
          static_cast<unsigned char>(in[3]);
    hl = 4;
  } else if (len == 127) {
    if (in.size() < 10)
      return false;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<unsigned char>(in[2 + i]);
    hl = 10;
  }
  if (in.size() < hl + len)
    return false;
  auto payload = in.substr(hl, len);
  in_off_ += hl + len;
  int op = b0 & 0x0f;
  bool fin = b0 & 0x80;
  switch (op) {
    case 0:  // continuation
      frag_.append(payload);
      if (fin) {
        std::string msg = std::move(frag_);
        frag_.clear();
        if (on_msg)
          on_msg(*this, msg);
      }
      break;
    case 1:
    case 2:
      if (!fin) {
        frag_.assign(payload);
      } else if (on_msg) {
        on_msg(*this, payload);
      }
      break;
    case 8:  // close
      close();
      return false;
    case 9: {  // ping: answer pong with the same payload
      std::string p{payload};
      unsigned char h[6] = {0x8a, static_cast<unsigned char>(0x80 | p.size()),
                            0, 0, 0, 0};
      out_.append(reinterpret_cast<char*>(h), 6);
      out_.append(p);
      flush();
      break;
    }
    default: break;
  }
  return true;
}

bool conn::parse_http() {
  std::string_view in{in_.data() + in_off_, in_.size() - in_off_};
  auto e = in.find("\r\n\r\n");
  if (e == std::string_view::npos)
    return false;
  auto head = in.substr(0, e);
  size_t len = 0;
  for (std::string_view key : {"Content-Length: ", "content-length: "}) {
    auto p = head.find(key);
    if (p != std::string_view::npos) {
      len = std::strtoull(head.data() + p + key.size(), nullptr, 10);
      break;
    }
  }
  if (in.size() < e + 4 + len)
    return false;
  auto body = in.substr(e + 4, len);
  in_off_ += e + 4 + len;
  status = static_cast<int>(std::strtol(head.data() + 9, nullptr, 10));
  if (on_msg)
    on_msg(*this, body);
  return true;
}

bool conn::parse_sse() {
  std::string_view in{in_.data() + in_off_, in_.size() - in_off_};
  if (st != state::streaming) {
    auto e = in.find("\r\n\r\n");
    if (e == std::string_view::npos)
      return false;
    in_off_ += e + 4;
    st = state::streaming;
    return true;
  }
  auto e = in.find("\n\n");
  if (e == std::string_view::npos)
    return false;
  auto block = in.substr(0, e);
  in_off_ += e + 2;
  if (on_msg)
    on_msg(*this, block);
  return true;
}

} // namespace bench
