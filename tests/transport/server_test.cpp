#include "transport/server.hpp"

#include <atomic>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/support/eventually.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/ws_client.hpp"

using namespace std::chrono_literals;
using namespace switchboard;
using switchboard::test::http_client;
using switchboard::test::http_stream;
using switchboard::test::ws_client;

namespace {

using switchboard::test::eventually;

struct counters {
  std::atomic<int> texts{0};
  std::atomic<int> binaries{0};
  std::atomic<int> too_large{0};
  std::atomic<int> ws_closed{0};
  std::atomic<int> exchanges_closed{0};
  std::mutex mtx;
  std::vector<std::string> remotes;
  std::vector<transport::http_request> requests;
  transport::http_request upgrade;
  transport::http_exchange_ptr parked;
  std::vector<std::thread> threads;
};

// Echoes text; "close" closes with 1000 "bye"; "flood N SIZE" sends N frames
// of SIZE bytes from another thread, slowly enough for a reading client.
class echo_inbound : public transport::inbound {
 public:
  echo_inbound(transport::connection_ptr conn, counters& c)
      : conn_(std::move(conn)), c_(c) {}

  void on_text(std::string text) override {
    ++c_.texts;
    if (text == "close") {
      conn_->close(1000, "bye");
    } else if (text.rfind("flood ", 0) == 0) {
      int n = 0;
      size_t size = 0;
      std::sscanf(text.c_str(), "flood %d %zu", &n, &size);
      auto frame = protocol::make_frame(std::string(size, 'x'));
      std::lock_guard<std::mutex> guard{c_.mtx};
      c_.threads.emplace_back([conn = conn_, frame, n] {
        for (int i = 0; i < n; ++i) {
          conn->send(frame);
          std::this_thread::sleep_for(1ms);
        }
      });
    } else {
      conn_->send(protocol::make_frame(std::move(text)));
    }
  }

  void on_binary() override {
    ++c_.binaries;
    conn_->send(protocol::make_frame("binary"));
  }

  void on_too_large() override {
    ++c_.too_large;
  }

  void on_closed() override {
    ++c_.ws_closed;
    conn_.reset();
  }

 private:
  transport::connection_ptr conn_;
  counters& c_;
};

class echo_handler : public transport::handler {
 public:
  explicit echo_handler(counters& c) : c_(c) {}

  transport::inbound_ptr
  on_websocket(transport::connection_ptr conn,
               const transport::http_request& req) override {
    {
      std::lock_guard<std::mutex> guard{c_.mtx};
      c_.upgrade = req;
    }
    return std::make_shared<echo_inbound>(std::move(conn), c_);
  }

  void on_http(transport::http_request req,
               transport::http_exchange_ptr ex) override {
    ex->on_closed([&c = c_] { ++c.exchanges_closed; });
    {
      std::lock_guard<std::mutex> guard{c_.mtx};
      c_.remotes.push_back(req.remote);
      c_.requests.push_back(req);
    }
    if (req.path == "/echo") {
      transport::http_response res;
      res.content_type = "text/plain";
      res.body = req.method + " " + req.path + " " + req.query + " " + req.body;
      res.headers.emplace_back("X-Echo", req.header("x-test"));
      ex->respond(std::move(res));
    } else if (req.path == "/stream") {
      // Answer from another thread, as the actors do.
      std::lock_guard<std::mutex> guard{c_.mtx};
      c_.threads.emplace_back([ex] {
        ex->start_stream({200, "text/event-stream", {}, {}});
        ex->write(protocol::make_frame("retry: 1000\n\n"));
        std::this_thread::sleep_for(20ms);
        ex->write(protocol::make_frame("id: 1\ndata: {\"seq\":1}\n\n"));
        ex->write(protocol::make_frame("id: 2\ndata: {\"seq\":2}\n\n"));
        ex->end();
      });
    } else if (req.path == "/park") {
      std::lock_guard<std::mutex> guard{c_.mtx};
      c_.parked = ex;
    } else {
      ex->respond({404, "application/json", R"({"type":"error"})", {}});
    }
  }

 private:
  counters& c_;
};

struct fixture {
  counters c;
  transport::server srv;

  explicit fixture(transport::server_options opts = small_limits())
      : srv(std::move(opts), std::make_shared<echo_handler>(c)) {
    auto err = srv.start();
    if (!err.empty())
      FAIL("server did not start: " << err);
  }

  ~fixture() {
    srv.stop();
    for (auto& t : c.threads)
      t.join();
  }

  static transport::server_options small_limits() {
    transport::server_options opts;
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.max_message_bytes = 1024;
    opts.max_body_bytes = 1024;
    opts.max_queue_bytes = 256 * 1024;
    opts.heartbeat = 1000ms;
    opts.handshake_timeout = 1000ms;
    opts.threads = 2;
    return opts;
  }

  uint16_t port() {
    return srv.port();
  }
};

} // namespace

TEST_CASE("the server binds a free port when asked for port 0") {
  fixture f;
  CHECK(f.port() != 0);
}

TEST_CASE("a WebSocket text message is echoed") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port(), "/ws?token=abc", {{"Origin", "http://ui"}}));
  CHECK(ws.handshake_status() == 101);
  CHECK(ws.handshake_header("Server") == "switchboard");
  REQUIRE(ws.send_text("hello"));
  auto reply = ws.read_text(2s);
  REQUIRE(reply);
  CHECK(*reply == "hello");
  CHECK_FALSE(ws.last_was_binary());
  REQUIRE(ws.send_text(R"({"type":"ping","id":7})"));
  auto doc = ws.read_json(2s);
  CHECK(test::type_of(doc) == "ping");
  CHECK(doc["id"].GetInt() == 7);
  std::lock_guard<std::mutex> guard{f.c.mtx};
  CHECK(f.c.upgrade.method == "GET");
  CHECK(f.c.upgrade.path == "/ws");
  CHECK(f.c.upgrade.query == "token=abc");
  CHECK(f.c.upgrade.header("origin") == "http://ui");
  CHECK(f.c.upgrade.remote.rfind("127.0.0.1:", 0) == 0);
}

TEST_CASE("a binary WebSocket message reaches on_binary") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port()));
  REQUIRE(ws.send_binary(std::string("\x01\x02\x03", 3)));
  auto reply = ws.read_text(2s);
  REQUIRE(reply);
  CHECK(*reply == "binary");
  CHECK(f.c.binaries == 1);
  CHECK(f.c.texts == 0);
}

TEST_CASE("a WebSocket message over the limit closes with 1009") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port()));
  REQUIRE(ws.send_text(std::string(1000, 'a')));
  REQUIRE(ws.read_text(2s) == std::string(1000, 'a'));
  REQUIRE(ws.send_text(std::string(1025, 'a')));
  // The error first, so the client learns why; then the close.
  auto err = ws.read_text(2s);
  REQUIRE(err);
  CHECK(err->find(R"("code":"too_large")") != std::string::npos);
  CHECK_FALSE(ws.read_text(2s));
  CHECK_FALSE(ws.is_open());
  CHECK(ws.close_code() == 1009);
  CHECK(eventually([&] { return f.c.ws_closed == 1; }));
  CHECK(f.c.too_large == 1);
  CHECK(f.c.texts == 1);
}

TEST_CASE("a client that does not read is disconnected, others are served") {
  fixture f;
  ws_client slow;
  REQUIRE(slow.connect(f.port()));
  // 64 MiB in 64 KiB frames: far more than the socket buffers hold, so the
  // server's queue reaches its 256 KiB bound.
  REQUIRE(slow.send_text("flood 1024 65536"));
  CHECK(eventually([&] { return f.c.ws_closed == 1; }, 20s));
  ws_client other;
  REQUIRE(other.connect(f.port()));
  REQUIRE(other.send_text("still here"));
  CHECK(other.read_text(2s) == std::string("still here"));
  // The slow client finds fewer frames than were sent, then the end.
  int frames = 0;
  while (auto msg = slow.read_text(2s)) {
    REQUIRE(msg->size() == 65536);
    ++frames;
  }
  CHECK(frames < 1024);
  CHECK_FALSE(slow.is_open());
  CHECK((slow.close_code() == 1013 || slow.close_code() == 0));
}

TEST_CASE("queued frames are written before the close frame") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port()));
  REQUIRE(ws.send_text("one"));
  REQUIRE(ws.send_text("two"));
  REQUIRE(ws.send_text("close"));
  REQUIRE(ws.send_text("ignored"));
  CHECK(ws.read_text(2s) == std::string("one"));
  CHECK(ws.read_text(2s) == std::string("two"));
  CHECK_FALSE(ws.read_text(2s));
  CHECK(ws.close_code() == 1000);
  CHECK(ws.close_reason() == "bye");
  CHECK(eventually([&] { return f.c.ws_closed == 1; }));
}

TEST_CASE("a client close ends the session once") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port()));
  ws.close(1000);
  CHECK(eventually([&] { return f.c.ws_closed == 1; }));
  std::this_thread::sleep_for(50ms);
  CHECK(f.c.ws_closed == 1);
}

TEST_CASE("HTTP keep-alive serves two requests on one connection") {
  fixture f;
  http_client http;
  REQUIRE(http.connect(f.port()));
  auto r1 = http.request("GET", "/echo?a=1&b=2", {}, {{"X-Test", "one"}});
  CHECK(r1.status == 200);
  CHECK(r1.body == "GET /echo a=1&b=2 ");
  CHECK(r1.header("server") == "switchboard");
  CHECK(r1.header("content-type") == "text/plain");
  CHECK(r1.header("content-length") == "18");
  CHECK(r1.header("x-echo") == "one");
  REQUIRE(http.is_open());
  auto r2 = http.request("POST", "/echo", "payload");
  CHECK(r2.status == 200);
  CHECK(r2.body == "POST /echo  payload");
  auto r3 = http.request("GET", "/nope");
  CHECK(r3.status == 404);
  std::lock_guard<std::mutex> guard{f.c.mtx};
  REQUIRE(f.c.remotes.size() == 3);
  CHECK(f.c.remotes[0] == f.c.remotes[1]);
  CHECK(f.c.remotes[1] == f.c.remotes[2]);
  CHECK(f.c.requests[0].header("x-test") == "one");
  CHECK(f.c.requests[1].method == "POST");
  CHECK(f.c.requests[1].header("content-length") == "7");
  CHECK(eventually([&] { return f.c.exchanges_closed == 3; }));
}

TEST_CASE("Connection: close is honoured") {
  fixture f;
  http_client http;
  REQUIRE(http.connect(f.port()));
  auto r = http.request("GET", "/echo", {}, {{"Connection", "close"}});
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "close");
  CHECK(http.wait_closed(2s));
}

TEST_CASE("an HTTP body over the limit gets 413 and the connection closes") {
  fixture f;
  http_client http;
  REQUIRE(http.connect(f.port()));
  auto r = http.request("POST", "/echo", std::string(4096, 'b'));
  CHECK(r.status == 413);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.body.find(R"("type":"error")") != std::string::npos);
  CHECK(r.body.find(R"("code":"too_large")") != std::string::npos);
  CHECK(http.wait_closed(3s));
  std::lock_guard<std::mutex> guard{f.c.mtx};
  CHECK(f.c.requests.empty());
}

TEST_CASE("a plain GET of /ws is a bad message") {
  fixture f;
  auto r = test::request(f.port(), "GET", "/ws");
  CHECK(r.status == 400);
  CHECK(r.body.find(R"("code":"bad_message")") != std::string::npos);
}

TEST_CASE("a streamed response is written in order and then closed") {
  fixture f;
  http_stream sse;
  REQUIRE(sse.open(f.port(), "/stream") == 200);
  CHECK(sse.header("content-type") == "text/event-stream");
  CHECK(sse.header("content-length").empty());
  CHECK(sse.header("server") == "switchboard");
  auto text = sse.read_all(5s);
  CHECK(text == "retry: 1000\n\nid: 1\ndata: {\"seq\":1}\n\n"
                "id: 2\ndata: {\"seq\":2}\n\n");
  CHECK_FALSE(sse.is_open());
  CHECK(eventually([&] { return f.c.exchanges_closed == 1; }));
}

TEST_CASE("a streamed exchange notices that the client left") {
  fixture f;
  {
    http_stream sse;
    REQUIRE(sse.open(f.port(), "/park", {}, 500ms) == 0);
  }
  transport::http_exchange_ptr ex;
  REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{f.c.mtx};
    ex = f.c.parked;
    return ex != nullptr;
  }));
  // The client is gone before the stream started: the first writes fail
  // or the close is noticed by the watching read.
  ex->start_stream({200, "text/event-stream", {}, {}});
  CHECK(eventually([&] {
    ex->write(protocol::make_frame(": hb\n\n"));
    return f.c.exchanges_closed == 1;
  }));
  CHECK_FALSE(ex->write(protocol::make_frame(": hb\n\n")));
}

TEST_CASE("answering after the server stopped is a no-op") {
  counters* c = nullptr;
  transport::http_exchange_ptr ex;
  {
    fixture f;
    c = &f.c;
    http_client http;
    REQUIRE(http.connect(f.port()));
    // Issue the request without waiting for an answer that never comes.
    std::thread t{[&] { http.request("GET", "/park", {}, {}, 3s); }};
    REQUIRE(eventually([&] {
      std::lock_guard<std::mutex> guard{f.c.mtx};
      ex = f.c.parked;
      return ex != nullptr;
    }));
    f.srv.stop();
    t.join();
    CHECK(f.c.exchanges_closed == 1);
    CHECK(http.wait_closed(1s));
  }
  (void)c;
  ex->respond({200, "text/plain", "late", {}});
  CHECK_FALSE(ex->write(protocol::make_frame("late")));
  ex->end();
  int runs = 0;
  ex->on_closed([&] { ++runs; });
  CHECK(runs == 1);
}

TEST_CASE("stop closes live WebSockets with 1001") {
  fixture f;
  ws_client ws;
  REQUIRE(ws.connect(f.port()));
  REQUIRE(ws.send_text("hi"));
  REQUIRE(ws.read_text(2s) == std::string("hi"));
  auto stopped = std::async(std::launch::async, [&] { f.srv.stop(); });
  CHECK_FALSE(ws.read_text(5s));
  CHECK(ws.close_code() == 1001);
  stopped.get();
  CHECK(f.c.ws_closed == 1);
  ws_client late;
  CHECK_FALSE(late.connect(f.port(), "/ws", {}, 1s));
}
