// The session actor on CAF's test coordinator: its rate limiter and
// heartbeats run on the actor clock, so virtual time drives them.
#include <catch2/catch.hpp>

#include <mutex>
#include <optional>

#include "actors/error.hpp"
#include "tests/actors/actor_fixture.hpp"
#include "ws/session.hpp"

using namespace switchboard;
using namespace switchboard::actors;
using namespace switchboard::ws;
using namespace std::chrono_literals;

namespace {

// Records what the session writes instead of sending it.
class fake_connection : public transport::connection {
 public:
  void send(protocol::frame f) override {
    std::lock_guard<std::mutex> guard{mtx_};
    sent_.push_back(*f);
  }

  void send(std::vector<protocol::frame> fs) override {
    for (auto& f : fs)
      send(std::move(f));
  }

  void close(uint16_t code, std::string) override {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_with_ = code;
  }

  void ping() override {
    std::lock_guard<std::mutex> guard{mtx_};
    ++pings_;
  }

  std::string remote() const override {
    return "127.0.0.1:1";
  }

  size_t queued_bytes() const override {
    return 0;
  }

  size_t max_queued_bytes() const override {
    return 1 << 20;
  }

  // Takes the types of what was written since the last call.
  std::vector<std::string> take_types() {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<std::string> out;
    for (auto& text : sent_) {
      rapidjson::Document doc;
      protocol::parse_json(text, doc);
      std::string type = doc["type"].GetString();
      if (type == "error")
        type += ":" + std::string{doc["code"].GetString()};
      out.push_back(type);
    }
    sent_.clear();
    return out;
  }

  int pings() {
    std::lock_guard<std::mutex> guard{mtx_};
    return pings_;
  }

 private:
  std::mutex mtx_;
  std::vector<std::string> sent_;
  std::optional<uint16_t> closed_with_;
  int pings_ = 0;
};

struct session_fixture : test::actor_fixture {
  std::shared_ptr<fake_connection> conn = std::make_shared<fake_connection>();
  session_actor s;

  explicit session_fixture(size_t rate_limit) {
    session_setup setup;
    setup.conn = conn;
    setup.rate_limit = rate_limit;
    setup.heartbeat = 1s;
    s = sys().spawn(session, std::move(setup));
    run();
  }

  ~session_fixture() {
    anon_send(s, closed_atom::value);
    run();
  }

  void send_pings(int n) {
    for (int i = 0; i < n; ++i)
      anon_send(s, text_atom::value,
                std::string{R"({"type":"ping","id":)"} + std::to_string(i) +
                    "}");
    run();
  }
};

size_t count(const std::vector<std::string>& xs, const std::string& x) {
  return static_cast<size_t>(std::count(xs.begin(), xs.end(), x));
}

} // namespace

TEST_CASE("the rate limiter refills on the actor clock", "[session][rate]") {
  session_fixture f{10};
  CHECK(f.conn->take_types() == std::vector<std::string>{"hello"});
  // A burst of twice the rate passes; the rest is refused.
  f.send_pings(25);
  auto got = f.conn->take_types();
  CHECK(count(got, "pong") == 20);
  CHECK(count(got, "error:rate_limited") == 5);
  // No time passes in a stepped scheduler: still empty.
  f.send_pings(1);
  CHECK(count(f.conn->take_types(), "error:rate_limited") == 1);
  // Half a second of virtual time refills five tokens.
  f.advance(500ms);
  f.conn->take_types(); // heartbeats, if any
  f.send_pings(7);
  got = f.conn->take_types();
  CHECK(count(got, "pong") == 5);
  CHECK(count(got, "error:rate_limited") == 2);
}

TEST_CASE("heartbeats and pings follow the heartbeat interval",
          "[session][heartbeat]") {
  session_fixture f{100};
  f.conn->take_types();
  for (int i = 0; i < 3; ++i)
    f.advance(1s);
  CHECK(count(f.conn->take_types(), "heartbeat") == 3);
  CHECK(f.conn->pings() == 3);
}

TEST_CASE("a broken contract in a handler is logged and ends the actor",
          "[actors][contract]") {
  test::actor_fixture f;
  std::string last;
  auto a = f.sys().spawn([&](caf::event_based_actor* self) -> caf::behavior {
    on_exception(self, [&](const std::string& what) { last = what; });
    return {[](int x) { SB_CHECK(x > 0); }};
  });
  f.self()->monitor(a);
  f.self()->send(a, 1);
  f.run();
  CHECK(last.empty());
  f.self()->send(a, -1);
  f.run();
  CHECK(last.find("contract violated: x > 0") != std::string::npos);
  bool down = false;
  f.self()->receive(
      [&](caf::down_msg& dm) { down = dm.reason == caf::sec::runtime_error; },
      caf::after(std::chrono::seconds(0)) >> [] {});
  CHECK(down);
}
