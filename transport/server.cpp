#include "transport/server.hpp"

#include <algorithm>
#include <iostream>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "log/logger.hpp"
#include "transport/http_session.hpp"
#include "transport/session_state.hpp"

namespace switchboard::transport {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// -- server_state -------------------------------------------------------------

server_state::server_state(server_options o, std::shared_ptr<handler> h)
    : ioc(static_cast<int>(std::max<size_t>(o.threads, 1))),
      opts(std::move(o)),
      hdl(std::move(h)) {}

bool server_state::add(const std::shared_ptr<session_base>& s) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (stopping_)
    return false;
  live_.emplace(s.get(), s);
  return true;
}

void server_state::remove(session_base* s) {
  std::lock_guard<std::mutex> guard{mtx_};
  if (live_.erase(s) > 0 && live_.empty())
    cv_.notify_all();
}

size_t server_state::size() {
  std::lock_guard<std::mutex> guard{mtx_};
  return live_.size();
}

std::vector<std::shared_ptr<session_base>> server_state::live() {
  std::vector<std::shared_ptr<session_base>> result;
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& kvp : live_)
    if (auto s = kvp.second.lock())
      result.push_back(std::move(s));
  return result;
}

void server_state::begin_stop() {
  std::lock_guard<std::mutex> guard{mtx_};
  stopping_ = true;
}

bool server_state::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> guard{mtx_};
  return cv_.wait_for(guard, timeout, [this] { return live_.empty(); });
}

namespace {

// Time given to peers to complete their close handshakes in `stop`.
constexpr auto stop_grace = std::chrono::seconds(2);

// Back-off after a failed accept (e.g. out of file descriptors), so that the
// listener does not spin.
constexpr auto accept_retry = std::chrono::milliseconds(100);

// -- listener -----------------------------------------------------------------

class listener : public std::enable_shared_from_this<listener> {
 public:
  explicit listener(server_state_ptr st)
      : state_(std::move(st)),
        acceptor_(net::make_strand(state_->ioc)),
        retry_(acceptor_.get_executor()) {}

  std::string open(const tcp::endpoint& ep) {
    boost::system::error_code ec;
    auto fail = [&](const char* what) {
      return std::string{what} + " " + to_string(ep) + ": " + ec.message();
    };
    acceptor_.open(ep.protocol(), ec);
    if (ec)
      return fail("open");
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec)
      return fail("set reuse_address on");
    acceptor_.bind(ep, ec);
    if (ec)
      return fail("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return fail("listen on");
    port_ = acceptor_.local_endpoint(ec).port();
    return {};
  }

  uint16_t port() const {
    return port_;
  }

  void run() {
    net::dispatch(acceptor_.get_executor(),
                  [self = shared_from_this()] { self->do_accept(); });
  }

  void close() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void do_accept() {
    acceptor_.async_accept(net::make_strand(state_->ioc),
                           [self = shared_from_this()](
                               boost::system::error_code ec, tcp::socket sock) {
                             self->on_accept(ec, std::move(sock));
                           });
  }

  void on_accept(boost::system::error_code ec, tcp::socket sock) {
    if (!acceptor_.is_open())
      return;
    if (ec) {
      retry_.expires_after(accept_retry);
      retry_.async_wait(
          [self = shared_from_this()](boost::system::error_code ec) {
            if (!ec && self->acceptor_.is_open())
              self->do_accept();
          });
      return;
    }
    boost::system::error_code ignored;
    if (state_->size() >= state_->opts.max_connections) {
      // Refuse cleanly: a short answer fits the empty send buffer, so the
      // blocking write cannot stall the I/O thread.
      static constexpr std::string_view body =
          R"({"type":"error","code":"overloaded","message":"too many connections"})";
      auto res = "HTTP/1.1 503 Service Unavailable\r\nServer: switchboard\r\n"
                 "Content-Type: application/json\r\nConnection: close\r\n"
                 "Retry-After: 1\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + std::string{body};
      net::write(sock, net::buffer(res), ignored);
      sock.shutdown(tcp::socket::shutdown_both, ignored);
      sock.close(ignored);
      do_accept();
      return;
    }
    // Frames are small and latency matters more than packet count.
    sock.set_option(tcp::no_delay(true), ignored);
    // A fixed kernel send buffer bounds what a reader that stopped can hold
    // in the kernel, and lets the write timeout see the stall sooner.
    if (state_->opts.socket_send_buffer > 0)
      sock.set_option(net::socket_base::send_buffer_size(
                          static_cast<int>(state_->opts.socket_send_buffer)),
                      ignored);
    start_http_session(state_, std::move(sock));
    do_accept();
  }

  server_state_ptr state_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  uint16_t port_ = 0;
};

void run_io(net::io_context& ioc) {
  // A throwing handler must not take the whole I/O thread down.
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      log::error("exception on an I/O thread", {{"what", e.what()}});
    } catch (...) {
      log::error("unknown exception on an I/O thread");
    }
  }
}

} // namespace

// -- server -------------------------------------------------------------------

struct server::impl {
  server_state_ptr state;
  std::shared_ptr<listener> lst;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool running = false;
};

server::server(server_options opts, std::shared_ptr<handler> h)
    : impl_(std::make_unique<impl>()) {
  impl_->state = std::make_shared<server_state>(std::move(opts), std::move(h));
}

server::~server() {
  stop();
}

std::string server::start() {
  auto& st = *impl_->state;
  if (impl_->running)
    return "already started";
  if (st.stopped)
    return "cannot restart a stopped server";
  boost::system::error_code ec;
  tcp::endpoint ep;
  auto addr = net::ip::make_address(st.opts.host, ec);
  if (!ec) {
    ep = tcp::endpoint{addr, st.opts.port};
  } else {
    tcp::resolver resolver{st.ioc};
    auto results =
        resolver.resolve(st.opts.host, std::to_string(st.opts.port), ec);
    if (ec || results.empty())
      return "cannot resolve " + st.opts.host + ": " + ec.message();
    ep = results.begin()->endpoint();
  }
  impl_->lst = std::make_shared<listener>(impl_->state);
  if (auto err = impl_->lst->open(ep); !err.empty()) {
    impl_->lst.reset();
    return err;
  }
  impl_->port = impl_->lst->port();
  impl_->lst->run();
  impl_->work.emplace(st.ioc.get_executor());
  auto n = std::max<size_t>(st.opts.threads, 1);
  for (size_t i = 0; i < n; ++i)
    impl_->threads.emplace_back([st = impl_->state] { run_io(st->ioc); });
  impl_->running = true;
  return {};
}

uint16_t server::port() const {
  return impl_->port;
}

void server::stop() {
  if (!impl_ || !impl_->running)
    return;
  impl_->running = false;
  auto& st = *impl_->state;
  st.begin_stop();
  impl_->lst->close();
  for (auto& s : st.live())
    s->shutdown();
  st.wait_idle(std::chrono::duration_cast<std::chrono::milliseconds>(
      std::min<std::chrono::milliseconds>(stop_grace,
                                          st.opts.handshake_timeout)));
  impl_->work.reset();
  st.ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
  // Peers that did not finish their close handshake in time: close their
  // sockets and run the completion handlers here, so that every session
  // reports its end and lets go of the state it shares with the io_context.
  for (auto& s : st.live())
    s->force_close();
  st.ioc.restart();
  st.ioc.run_for(std::chrono::milliseconds(500));
  st.stopped = true;
  impl_->lst.reset();
}

} // namespace switchboard::transport
