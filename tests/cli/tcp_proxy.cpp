#include "tests/cli/tcp_proxy.hpp"

#include <array>
#include <atomic>
#include <future>
#include <list>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace switchboard::test {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// One client connection and its connection to the target.
struct proxied : std::enable_shared_from_this<proxied> {
  tcp::socket client;
  tcp::socket upstream;
  std::array<char, 16384> up_buf{};
  std::array<char, 16384> down_buf{};

  explicit proxied(net::io_context& ioc) : client(ioc), upstream(ioc) {}

  void close() {
    boost::system::error_code ec;
    client.close(ec);
    upstream.close(ec);
  }

  void pipe(tcp::socket& from, tcp::socket& to, std::array<char, 16384>& buf) {
    from.async_read_some(
        net::buffer(buf), [self = shared_from_this(), &from, &to,
                           &buf](boost::system::error_code ec, size_t n) {
          if (ec) {
            self->close();
            return;
          }
          net::async_write(
              to, net::buffer(buf.data(), n),
              [self, &from, &to, &buf](boost::system::error_code e, size_t) {
                if (e) {
                  self->close();
                  return;
                }
                self->pipe(from, to, buf);
              });
        });
  }
};

} // namespace

struct tcp_proxy::impl {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  tcp::endpoint target;
  std::list<std::weak_ptr<proxied>> links;
  std::atomic<int> accepted{0};
  std::thread thread;

  void accept() {
    auto l = std::make_shared<proxied>(ioc);
    acceptor.async_accept(l->client, [this, l](boost::system::error_code ec) {
      if (ec)
        return;
      ++accepted;
      links.push_back(l);
      l->upstream.async_connect(target, [l](boost::system::error_code e) {
        if (e) {
          l->close();
          return;
        }
        l->pipe(l->client, l->upstream, l->up_buf);
        l->pipe(l->upstream, l->client, l->down_buf);
      });
      accept();
    });
  }
};

tcp_proxy::tcp_proxy(uint16_t target_port) : impl_(std::make_unique<impl>()) {
  auto loopback = net::ip::make_address("127.0.0.1");
  impl_->target = {loopback, target_port};
  tcp::endpoint local{loopback, 0};
  impl_->acceptor.open(local.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(local);
  impl_->acceptor.listen();
  impl_->accept();
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

tcp_proxy::~tcp_proxy() {
  net::post(impl_->ioc, [this] {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    for (auto& w : impl_->links)
      if (auto l = w.lock())
        l->close();
  });
  impl_->thread.join();
}

uint16_t tcp_proxy::port() const {
  return impl_->acceptor.local_endpoint().port();
}

int tcp_proxy::cut() {
  // The sockets belong to the proxy's thread: closing them there keeps
  // every handler on one thread.
  std::promise<int> done;
  auto cut_count = done.get_future();
  net::post(impl_->ioc, [this, &done] {
    int n = 0;
    for (auto& w : impl_->links)
      if (auto l = w.lock()) {
        if (l->client.is_open())
          ++n;
        l->close();
      }
    impl_->links.clear();
    done.set_value(n);
  });
  return cut_count.get();
}

int tcp_proxy::accepted() const {
  return impl_->accepted;
}

} // namespace switchboard::test
