// The task totals that `get_status` reports, followed by task probes.
#include <catch2/catch.hpp>

#include "metrics/registry.hpp"
#include "protocol/encoder.hpp"

using namespace switchboard;

TEST_CASE("task probes keep the node's totals: running, waiting, failures "
          "within the hour, events",
          "[metrics][status]") {
  auto reg = std::make_shared<metrics::registry>(
      metrics::build_info::current("test"),
      std::vector<std::string>{"ticker", "triage"}, std::vector<std::string>{});
  auto now = protocol::now_ms();
  auto t0 = reg->read_totals(now);
  CHECK(t0.running == 0);
  CHECK(t0.waiting_input == 0);
  CHECK(t0.failed_last_hour == 0);
  CHECK(t0.events == 0);
  {
    metrics::task_probe a;
    metrics::task_probe b;
    a.start(reg, "ticker");
    b.start(reg, "triage");
    a.emitted();
    b.emitted();
    b.emitted();
    b.waiting();
    auto t1 = reg->read_totals(now);
    CHECK(t1.running == 1);
    CHECK(t1.waiting_input == 1);
    CHECK(t1.events == 3);
    b.resumed(metrics::input_outcome::answered);
    CHECK(reg->read_totals(now).running == 2);
    a.finished(protocol::task_status::failed);
    b.finished(protocol::task_status::completed);
    auto t2 = reg->read_totals(protocol::now_ms());
    CHECK(t2.running == 0);
    CHECK(t2.waiting_input == 0);
    CHECK(t2.failed_last_hour == 1);
    // An hour later the failure no longer counts.
    CHECK(reg->read_totals(protocol::now_ms() + 61 * 60 * 1000)
              .failed_last_hour == 0);
  }
  {
    // A task that dies waiting (its actor gone without a terminal state)
    // leaves the gauges, not a failure.
    metrics::task_probe c;
    c.start(reg, "triage");
    c.waiting();
    CHECK(reg->read_totals(now).waiting_input == 1);
  }
  auto t3 = reg->read_totals(protocol::now_ms());
  CHECK(t3.waiting_input == 0);
  CHECK(t3.running == 0);
  CHECK(t3.failed_last_hour == 1);
  // A kind the registry does not know is not counted (nothing to follow).
  metrics::task_probe d;
  d.start(reg, "unknown");
  CHECK(reg->read_totals(now).running == 0);
}
