#include "metrics/registry.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "metrics/histogram.hpp"
#include "protocol/command.hpp"
#include "protocol/event_type.hpp"
#include "protocol/http_routes.hpp"
#include "protocol/message_type.hpp"

namespace switchboard::metrics {

namespace {

using counter_map = std::map<std::string, prometheus::Counter*, std::less<>>;

constexpr std::string_view channel_names[] = {"websocket", "sse", "http"};
constexpr std::string_view state_names[] = {"completed", "failed", "cancelled"};
constexpr std::string_view outcome_names[] = {"answered", "timeout",
                                              "cancelled"};
constexpr std::string_view reason_names[] = {"slow_consumer", "heartbeat"};

// Message types per transport and direction, from the protocol's
// vocabulary; anything else is "other".
template<class Range>
std::vector<std::string> names_of(const Range& xs) {
  std::vector<std::string> out;
  for (auto x : xs)
    out.emplace_back(protocol::to_string(x));
  return out;
}

std::vector<std::string> with(std::vector<std::string> xs,
                              std::initializer_list<const char*> more) {
  xs.insert(xs.end(), more.begin(), more.end());
  return xs;
}

// What a WebSocket client sends, plus what cannot be decoded.
const std::vector<std::string> ws_received = with(
    names_of(protocol::all_command_types), {"invalid", "binary", "too_large"});
const std::vector<std::string> http_received =
    names_of(protocol::all_http_operations);
const std::vector<std::string> task_events =
    names_of(protocol::all_event_types);
const std::vector<std::string> replies = names_of(protocol::all_message_types);
// HTTP also answers /metrics and the health checks, which are not messages.
const std::vector<std::string> http_sent = with(replies, {"metrics", "health"});
const std::vector<std::string> sse_extra = {"snapshot", "heartbeat"};

const std::vector<double> task_buckets = {0.01, 0.05, 0.1, 0.5, 1,   5,
                                          10,   30,   60,  300, 900, 3600};
const std::vector<double> wait_buckets = {0.1, 0.5, 1,   5,    10,   30,
                                          60,  300, 900, 3600, 86400};
const std::vector<double> commit_buckets = {0.0001, 0.00025, 0.0005, 0.001,
                                            0.0025, 0.005,   0.01,   0.025,
                                            0.05,   0.1,     0.5,    1};
const std::vector<double> batch_buckets = {1,  2,   4,   8,   16,   32,
                                           64, 128, 256, 512, 1024, 4096};
const std::vector<double> tool_buckets = {0.0005, 0.001, 0.005, 0.01, 0.05, 0.1,
                                          0.5,    1,     5,     10,   60};

// A histogram family of our own lock-free histograms.
struct histogram_family {
  std::string name;
  std::string help;
  std::vector<std::pair<prometheus::Labels, std::unique_ptr<histogram>>>
      children;

  histogram* add(prometheus::Labels labels,
                 const std::vector<double>& buckets) {
    children.emplace_back(std::move(labels),
                          std::make_unique<histogram>(buckets));
    return children.back().second.get();
  }

  prometheus::MetricFamily collect() const {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = prometheus::MetricType::Histogram;
    for (auto& [labels, h] : children) {
      prometheus::ClientMetric m;
      for (auto& [k, v] : labels)
        m.label.push_back({k, v});
      h->collect(m);
      f.metric.push_back(std::move(m));
    }
    return f;
  }
};

counter_map make_counters(prometheus::Family<prometheus::Counter>& fam,
                          std::string_view transport,
                          const std::vector<std::vector<std::string>>& lists) {
  counter_map result;
  for (auto& list : lists)
    for (auto& type : list)
      if (result.count(type) == 0)
        result.emplace(type, &fam.Add({{"transport", std::string{transport}},
                                       {"type", type}}));
  result.emplace("other", &fam.Add({{"transport", std::string{transport}},
                                    {"type", "other"}}));
  return result;
}

prometheus::Counter* lookup(const counter_map& m, std::string_view key) {
  auto i = m.find(key);
  return i != m.end() ? i->second : m.find("other")->second;
}

} // namespace

struct registry::impl {
  std::shared_ptr<prometheus::Registry> reg =
      std::make_shared<prometheus::Registry>();
  histogram_family task_duration{
      "switchboard_task_duration_seconds",
      "Time from a task's start to its terminal event, by kind.",
      {}};
  histogram_family input_wait{
      "switchboard_input_wait_seconds",
      "Time tasks waited for input, by kind and how the wait ended.",
      {}};
  histogram_family tool_duration{"switchboard_tool_call_duration_seconds",
                                 "Time a tool implementation ran, by tool.",
                                 {}};
  histogram_family commit_duration{
      "switchboard_store_commit_duration_seconds",
      "Time one group commit of the task history took.",
      {}};
  histogram_family batch_size{"switchboard_store_batch_events",
                              "Events per group commit of the task history.",
                              {}};
  histogram* commit_seconds = commit_duration.add({}, commit_buckets);
  histogram* batch_events = batch_size.add({}, batch_buckets);
  prometheus::Counter* store_commits = nullptr;
  prometheus::Counter* store_events = nullptr;
  prometheus::Counter* store_errors = nullptr;
  std::array<prometheus::Counter*, 2> store_expired{}; // tasks, events
  prometheus::Gauge* store_bytes = nullptr;
  prometheus::Gauge* nodes = nullptr;
  prometheus::Counter* nodes_lost = nullptr;
  std::array<prometheus::Gauge*, 2> store_rows{}; // tasks, events
  std::map<std::string, kind_metrics, std::less<>> kinds;
  std::map<std::string, tool_metrics, std::less<>> tools;
  tool_metrics* unknown_tool = nullptr;
  prometheus::Family<prometheus::Counter>* tool_calls = nullptr;
  std::mutex tool_mtx; // only taken to create a (tool, outcome) child
  std::array<counter_map, 3> received;
  std::array<counter_map, 3> sent;
  // The counters of `sent` per channel and event type, resolved once.
  std::array<std::array<prometheus::Counter*, protocol::all_event_types.size()>,
             3>
      sent_events{};
  std::array<prometheus::Counter*, error_code_count> errors{};
  std::array<prometheus::Counter*, 3> resumes{};
  std::array<prometheus::Counter*, 3> expired{};
  std::array<std::array<prometheus::Counter*, 2>, 3> disconnects{};
  prometheus::Gauge* queue = nullptr;
  std::array<prometheus::Gauge*, 3> open{};
  // The totals of `get_status`: atomics, since every task updates them.
  std::atomic<int64_t> running{0};
  std::atomic<int64_t> waiting{0};
  std::atomic<uint64_t> events{0};
  // Failures per minute over the last hour, a ring by minute; failures are
  // rare, so a lock is cheap here.
  struct minute_count {
    int64_t minute = -1;
    uint64_t count = 0;
  };
  std::array<minute_count, 60> failures{};
  mutable std::mutex failures_mtx;

  void failed(int64_t now_ms) {
    auto minute = now_ms / 60000;
    std::lock_guard<std::mutex> guard{failures_mtx};
    auto& slot = failures[static_cast<size_t>(minute % 60)];
    if (slot.minute != minute)
      slot = minute_count{minute, 0};
    ++slot.count;
  }
};

registry::registry(build_info info, const std::vector<std::string>& kinds,
                   const std::vector<std::string>& tools)
    : impl_(std::make_unique<impl>()) {
  auto& d = *impl_;
  auto& r = *d.reg;
  using prometheus::BuildCounter;
  using prometheus::BuildGauge;
  // -- build ------------------------------------------------------------------
  BuildGauge()
      .Name("switchboard_build_info")
      .Help("Always 1; the labels name the build.")
      .Register(r)
      .Add({{"version", info.version}, {"compiler", info.compiler}})
      .Set(1);
  BuildGauge()
      .Name("switchboard_start_time_seconds")
      .Help("Unix time when the server started.")
      .Register(r)
      .Add({})
      .Set(std::chrono::duration<double>(
               std::chrono::system_clock::now().time_since_epoch())
               .count());
  // -- tasks ------------------------------------------------------------------
  auto& started = BuildCounter()
                      .Name("switchboard_tasks_started_total")
                      .Help("Tasks started, by kind.")
                      .Register(r);
  auto& finished =
      BuildCounter()
          .Name("switchboard_tasks_finished_total")
          .Help("Tasks that reached a terminal state, by kind and state.")
          .Register(r);
  auto& progress = BuildCounter()
                       .Name("switchboard_task_progress_steps_total")
                       .Help("Progress events emitted by tasks, by kind.")
                       .Register(r);
  auto& active = BuildGauge()
                     .Name("switchboard_tasks_active")
                     .Help("Tasks not finished yet, by kind and state "
                           "(running or waiting_input).")
                     .Register(r);
  for (auto& k : kinds) {
    kind_metrics m;
    m.started = &started.Add({{"kind", k}});
    for (size_t i = 0; i < 3; ++i)
      m.finished[i] =
          &finished.Add({{"kind", k}, {"state", std::string{state_names[i]}}});
    m.duration = d.task_duration.add({{"kind", k}}, task_buckets);
    m.progress = &progress.Add({{"kind", k}});
    m.running = &active.Add({{"kind", k}, {"state", "running"}});
    m.waiting = &active.Add({{"kind", k}, {"state", "waiting_input"}});
    for (size_t i = 0; i < 3; ++i)
      m.input_wait[i] = d.input_wait.add(
          {{"kind", k}, {"outcome", std::string{outcome_names[i]}}},
          wait_buckets);
    d.kinds.emplace(k, m);
  }
  // -- tools ------------------------------------------------------------------
  d.tool_calls = &BuildCounter()
                      .Name("switchboard_tool_calls_total")
                      .Help("Tool calls by tool and outcome (ok or the "
                            "error code).")
                      .Register(r);
  auto add_tool = [&](const std::string& name) {
    auto& t = d.tools[name];
    t.name = name;
    t.duration = d.tool_duration.add({{"tool", name}}, tool_buckets);
    t.calls[0].store(&d.tool_calls->Add({{"tool", name}, {"outcome", "ok"}}));
    return &t;
  };
  for (auto& t : tools)
    add_tool(t);
  d.unknown_tool =
      d.tools.count("unknown") ? &d.tools["unknown"] : add_tool("unknown");
  // -- messages ---------------------------------------------------------------
  auto& rx = BuildCounter()
                 .Name("switchboard_messages_received_total")
                 .Help("Client messages and HTTP requests received, by "
                       "transport and type.")
                 .Register(r);
  auto& tx = BuildCounter()
                 .Name("switchboard_messages_sent_total")
                 .Help("Messages, events and HTTP responses sent, by "
                       "transport and type.")
                 .Register(r);
  d.received[0] = make_counters(rx, "websocket", {ws_received});
  d.received[2] = make_counters(rx, "http", {http_received});
  d.sent[0] = make_counters(tx, "websocket", {replies, task_events});
  d.sent[1] = make_counters(tx, "sse", {task_events, sse_extra});
  d.sent[2] = make_counters(tx, "http", {http_sent});
  for (size_t c = 0; c < d.sent.size(); ++c)
    for (auto x : protocol::all_event_types)
      d.sent_events[c][static_cast<size_t>(x)] =
          lookup(d.sent[c], protocol::to_string(x));
  auto& errors = BuildCounter()
                     .Name("switchboard_protocol_errors_total")
                     .Help("Errors answered to clients, by code.")
                     .Register(r);
  for (size_t i = 1; i < error_code_count; ++i) {
    auto name =
        std::string{protocol::to_string(static_cast<protocol::error_code>(i))};
    d.errors[i] = &errors.Add({{"code", name}});
  }
  auto& resumes = BuildCounter()
                      .Name("switchboard_resumes_total")
                      .Help("Subscriptions served from a seq after 0 "
                            "(reconnects), by transport.")
                      .Register(r);
  auto& expired = BuildCounter()
                      .Name("switchboard_events_expired_total")
                      .Help("events_expired answers (the requested events "
                            "had left the log), by transport.")
                      .Register(r);
  for (size_t c = 0; c < 2; ++c) {
    auto t = std::string{channel_names[c]};
    d.resumes[c] = &resumes.Add({{"transport", t}});
    d.expired[c] = &expired.Add({{"transport", t}});
  }
  auto& disc = BuildCounter()
                   .Name("switchboard_disconnects_total")
                   .Help("Connections the server dropped, by transport and "
                         "reason (slow_consumer, heartbeat).")
                   .Register(r);
  d.disconnects[0][0] =
      &disc.Add({{"transport", "websocket"}, {"reason", "slow_consumer"}});
  d.disconnects[0][1] =
      &disc.Add({{"transport", "websocket"}, {"reason", "heartbeat"}});
  d.disconnects[1][0] =
      &disc.Add({{"transport", "sse"}, {"reason", "slow_consumer"}});
  d.queue = &BuildGauge()
                 .Name("switchboard_outbound_queue_bytes")
                 .Help("Bytes queued for sending on all WebSocket "
                       "connections.")
                 .Register(r)
                 .Add({});
  d.open[0] = &BuildGauge()
                   .Name("switchboard_websocket_sessions")
                   .Help("Open WebSocket sessions.")
                   .Register(r)
                   .Add({});
  d.open[1] = &BuildGauge()
                   .Name("switchboard_sse_streams")
                   .Help("Open Server-Sent Events streams.")
                   .Register(r)
                   .Add({});
  // -- the task history -------------------------------------------------------
  d.store_commits = &BuildCounter()
                         .Name("switchboard_store_commits_total")
                         .Help("Group commits of the task history.")
                         .Register(r)
                         .Add({});
  d.store_events = &BuildCounter()
                        .Name("switchboard_store_events_written_total")
                        .Help("Events committed to the task history.")
                        .Register(r)
                        .Add({});
  d.store_errors = &BuildCounter()
                        .Name("switchboard_store_write_errors_total")
                        .Help("Commits of the task history that failed (for "
                              "example on a full disk).")
                        .Register(r)
                        .Add({});
  auto& deleted = BuildCounter()
                      .Name("switchboard_store_retention_deletes_total")
                      .Help("Rows that retention deleted from the task "
                            "history, by table (tasks, events).")
                      .Register(r);
  d.store_expired[0] = &deleted.Add({{"table", "tasks"}});
  d.store_expired[1] = &deleted.Add({{"table", "events"}});
  d.store_bytes = &BuildGauge()
                       .Name("switchboard_store_bytes")
                       .Help("Bytes of the task history's database file and "
                             "its write-ahead log.")
                       .Register(r)
                       .Add({});
  auto& rows = BuildGauge()
                   .Name("switchboard_store_rows")
                   .Help("Rows in the task history, by table (tasks, "
                         "events).")
                   .Register(r);
  d.store_rows[0] = &rows.Add({{"table", "tasks"}});
  d.store_rows[1] = &rows.Add({{"table", "events"}});
  d.nodes = &BuildGauge()
                 .Name("switchboard_cluster_nodes")
                 .Help("Nodes in the cluster as this node knows them, itself "
                       "included (1 when it is not clustered).")
                 .Register(r)
                 .Add({});
  d.nodes->Set(1);
  d.nodes_lost = &BuildCounter()
                      .Name("switchboard_cluster_nodes_lost_total")
                      .Help("Nodes lost: killed, frozen or cut off (not the "
                            "ones that left cleanly).")
                      .Register(r)
                      .Add({});
}

void registry::store_commit(size_t events, size_t tasks, double seconds,
                            bool ok) {
  auto& d = *impl_;
  (void)tasks;
  if (!ok) {
    d.store_errors->Increment();
    return;
  }
  d.store_commits->Increment();
  d.store_events->Increment(static_cast<double>(events));
  d.commit_seconds->observe(seconds);
  d.batch_events->observe(static_cast<double>(events));
}

void registry::store_expired(uint64_t tasks, uint64_t events) {
  impl_->store_expired[0]->Increment(static_cast<double>(tasks));
  impl_->store_expired[1]->Increment(static_cast<double>(events));
}

void registry::cluster_nodes(size_t n) {
  impl_->nodes->Set(static_cast<double>(n));
}

void registry::node_lost() {
  impl_->nodes_lost->Increment();
}

void registry::store_size(uint64_t bytes, uint64_t tasks, uint64_t events) {
  impl_->store_bytes->Set(static_cast<double>(bytes));
  impl_->store_rows[0]->Set(static_cast<double>(tasks));
  impl_->store_rows[1]->Set(static_cast<double>(events));
}

registry::~registry() = default;

build_info build_info::current(std::string version) {
#if defined(__clang__)
  std::string compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
  std::string compiler = "gcc " __VERSION__;
#else
  std::string compiler = "unknown";
#endif
  return {std::move(version), std::move(compiler)};
}

std::string registry::serialize() const {
  auto& d = *impl_;
  auto families = d.reg->Collect();
  families.push_back(d.task_duration.collect());
  families.push_back(d.input_wait.collect());
  families.push_back(d.tool_duration.collect());
  families.push_back(d.commit_duration.collect());
  families.push_back(d.batch_size.collect());
  std::sort(families.begin(), families.end(),
            [](auto& a, auto& b) { return a.name < b.name; });
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, families);
  return out.str();
}

const kind_metrics* registry::kind(std::string_view name) const {
  auto i = impl_->kinds.find(name);
  return i != impl_->kinds.end() ? &i->second : nullptr;
}

tool_metrics& registry::tool(std::string_view name) {
  auto i = impl_->tools.find(name);
  return i != impl_->tools.end() ? i->second : *impl_->unknown_tool;
}

void registry::tool_call(tool_metrics& t, protocol::error_code outcome) {
  auto i = static_cast<size_t>(outcome);
  if (i >= error_code_count)
    i = static_cast<size_t>(protocol::error_code::internal);
  auto* c = t.calls[i].load(std::memory_order_acquire);
  if (!c) {
    std::lock_guard<std::mutex> guard{impl_->tool_mtx};
    c = t.calls[i].load(std::memory_order_acquire);
    if (!c) {
      c = &impl_->tool_calls->Add(
          {{"tool", t.name},
           {"outcome", std::string{protocol::to_string(outcome)}}});
      t.calls[i].store(c, std::memory_order_release);
    }
  }
  c->Increment();
}

void registry::tool_duration(tool_metrics& t, double seconds) {
  t.duration->observe(seconds);
}

void registry::received(channel c, std::string_view type) {
  auto& m = impl_->received[static_cast<size_t>(c)];
  if (!m.empty())
    lookup(m, type)->Increment();
}

void registry::sent(channel c, std::string_view type) {
  lookup(impl_->sent[static_cast<size_t>(c)], type)->Increment();
}

void registry::sent(channel c, protocol::event_type type) {
  impl_->sent_events[static_cast<size_t>(c)][static_cast<size_t>(type)]
      ->Increment();
}

void registry::protocol_error(protocol::error_code code) {
  auto i = static_cast<size_t>(code);
  if (i == 0 || i >= error_code_count)
    i = static_cast<size_t>(protocol::error_code::internal);
  impl_->errors[i]->Increment();
}

void registry::resume(channel c) {
  if (auto* x = impl_->resumes[static_cast<size_t>(c)])
    x->Increment();
}

void registry::events_expired(channel c) {
  if (auto* x = impl_->expired[static_cast<size_t>(c)])
    x->Increment();
}

void registry::disconnect(channel c, disconnect_reason r) {
  if (auto* x =
          impl_->disconnects[static_cast<size_t>(c)][static_cast<size_t>(r)])
    x->Increment();
}

void registry::queue_bytes(int64_t delta) {
  impl_->queue->Increment(static_cast<double>(delta));
}

void registry::opened(channel c) {
  if (auto* g = impl_->open[static_cast<size_t>(c)])
    g->Increment();
}

void registry::closed(channel c) {
  if (auto* g = impl_->open[static_cast<size_t>(c)])
    g->Decrement();
}

totals registry::read_totals(int64_t now_ms) const {
  auto& d = *impl_;
  totals out;
  out.running = d.running.load(std::memory_order_relaxed);
  out.waiting_input = d.waiting.load(std::memory_order_relaxed);
  out.events = d.events.load(std::memory_order_relaxed);
  auto minute = now_ms / 60000;
  std::lock_guard<std::mutex> guard{d.failures_mtx};
  for (auto& slot : d.failures)
    if (slot.minute > minute - 60 && slot.minute <= minute)
      out.failed_last_hour += slot.count;
  return out;
}

// -- task_probe ---------------------------------------------------------------

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

} // namespace

task_probe::~task_probe() {
  leave_phase();
}

void task_probe::start(registry_ptr reg, std::string_view kind) {
  if (!reg || phase_ != phase::idle)
    return;
  k_ = reg->kind(kind);
  if (!k_)
    return;
  reg_ = std::move(reg);
  start_ = std::chrono::steady_clock::now();
  k_->started->Increment();
  k_->running->Increment();
  ++reg_->impl_->running;
  phase_ = phase::running;
}

void task_probe::progress() {
  if (k_)
    k_->progress->Increment();
}

void task_probe::emitted() {
  if (k_)
    reg_->impl_->events.fetch_add(1, std::memory_order_relaxed);
}

void task_probe::waiting() {
  if (!k_ || phase_ != phase::running)
    return;
  k_->running->Decrement();
  k_->waiting->Increment();
  --reg_->impl_->running;
  ++reg_->impl_->waiting;
  wait_start_ = std::chrono::steady_clock::now();
  phase_ = phase::waiting;
}

void task_probe::resumed(input_outcome outcome) {
  if (!k_ || phase_ != phase::waiting)
    return;
  k_->input_wait[static_cast<size_t>(outcome)]->observe(
      seconds_since(wait_start_));
  k_->waiting->Decrement();
  k_->running->Increment();
  --reg_->impl_->waiting;
  ++reg_->impl_->running;
  phase_ = phase::running;
}

void task_probe::finished(protocol::task_status state) {
  if (!k_ || phase_ == phase::done || phase_ == phase::idle)
    return;
  if (phase_ == phase::waiting)
    k_->input_wait[static_cast<size_t>(input_outcome::cancelled)]->observe(
        seconds_since(wait_start_));
  leave_phase();
  size_t i = state == protocol::task_status::completed ? 0
             : state == protocol::task_status::failed  ? 1
                                                       : 2;
  k_->finished[i]->Increment();
  k_->duration->observe(seconds_since(start_));
  if (state == protocol::task_status::failed)
    reg_->impl_->failed(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

void task_probe::leave_phase() {
  if (!k_)
    return;
  if (phase_ == phase::running) {
    k_->running->Decrement();
    --reg_->impl_->running;
  } else if (phase_ == phase::waiting) {
    k_->waiting->Decrement();
    --reg_->impl_->waiting;
  }
  phase_ = phase::done;
}

// -- connection_probe ---------------------------------------------------------

void connection_probe::open(registry_ptr reg, channel c) {
  if (!reg || reg_)
    return;
  reg_ = std::move(reg);
  c_ = c;
  reg_->opened(c_);
}

void connection_probe::close() {
  if (auto r = std::move(reg_))
    r->closed(c_);
}

} // namespace switchboard::metrics
