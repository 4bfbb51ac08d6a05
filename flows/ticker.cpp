#include "flows/ticker.hpp"
#include "protocol/encoder.hpp"

#include <chrono>

namespace switchboard::flows {

namespace {

flow run_ticker(context& ctx) {
  auto steps = ctx.params()["steps"].GetInt64();
  std::chrono::milliseconds interval{ctx.params()["interval_ms"].GetInt64()};
  for (int64_t i = 1; i <= steps; ++i) {
    // Without an interval, still yield now and then so a stop gets through.
    if (interval.count() > 0 || i % 1000 == 0)
      co_await ctx.sleep(interval);
    ctx.progress(i, steps, "tick " + std::to_string(i));
  }
  co_return protocol::object_writer{}.num("steps", steps).finish();
}

} // namespace

flow_kind ticker_kind() {
  flow_kind k;
  k.name = "ticker";
  k.description = "Emits steps progress events interval_ms apart; for "
                  "demos, health checks and load tests.";
  k.params_schema =
      R"({"type":"object","properties":{)"
      R"("steps":{"type":"integer","minimum":0,"maximum":1000000,)"
      R"("default":10,"description":"how many progress events"},)"
      R"("interval_ms":{"type":"integer","minimum":0,"maximum":3600000,)"
      R"("default":100,"description":"time between two steps"}},)"
      R"("additionalProperties":false})";
  k.run = run_ticker;
  return k;
}

} // namespace switchboard::flows
