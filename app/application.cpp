#include "app/application.hpp"

#include <algorithm>
#include <variant>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

#include "actors/system.hpp"
#include "actors/task_manager.hpp"
#include "app/access.hpp"
#include "app/gateway.hpp"
#include "cluster/node_agent.hpp"
#include "flows/catalog.hpp"
#include "flows/plugins.hpp"
#include "log/logger.hpp"
#include "metrics/registry.hpp"
#include "metrics/transport.hpp"
#include "protocol/encoder.hpp"
#include "protocol/message_type.hpp"
#include "registry/tool_registry.hpp"
#include "store/recovery.hpp"
#include "store/writer.hpp"
#include "tools/builtin.hpp"
#include "tools/worker_pool.hpp"
#include "tools/workspace.hpp"
#include "transport/server.hpp"

namespace switchboard::app {

namespace {

caf::actor_system_config make_config(const options& opts) {
  caf::actor_system_config cfg;
  actors::configure(cfg);
  cfg.set("scheduler.max-threads", opts.actor_threads);
  cfg.set("logger.console-verbosity", caf::atom("quiet"));
  cfg.set("logger.file-verbosity", caf::atom("quiet"));
  // An idle worker skips CAF's "moderate" phase (sleep 50 us, poll, for
  // 500 rounds) and waits on its condition variable, which a message from
  // an I/O thread signals: a hand-off then costs one wake-up instead of up
  // to a 50 us nap plus timer slack. Halves start -> first event (p50) and
  // cuts its p99 by two thirds; see docs/performance.md.
  cfg.set("work-stealing.moderate-poll-attempts", size_t{0});
  // A flow that emits without pause (a ticker with interval 0 resumes
  // itself by message) would otherwise run for its whole mailbox before the
  // sessions that read its log get a turn; with credit-based delivery that
  // turn is what keeps readers inside the log's window.
  cfg.set("scheduler.max-throughput", size_t{64});
  if (opts.cluster_port >= 0) {
    cfg.load<caf::io::middleman>();
    // BASP heartbeats find a frozen node: it is lost between 1.5 and 2.5 s
    // after it stops answering (a killed one at once, its socket closes).
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::milliseconds{500}});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::seconds{2}});
    cfg.add_message_type<cluster::node_info>("switchboard::node_info");
    cfg.add_message_type<cluster::member_list>("switchboard::member_list");
  }
  return cfg;
}

// Parses `--join`'s HOST:PORT entries.
std::variant<std::vector<cluster::address>, std::string>
parse_join(const std::vector<std::string>& entries) {
  std::vector<cluster::address> out;
  for (auto& e : entries) {
    auto colon = e.rfind(':');
    int port = 0;
    if (colon != std::string::npos && colon > 0 && colon + 1 < e.size() &&
        e.find_first_not_of("0123456789", colon + 1) == std::string::npos &&
        e.size() - colon - 1 <= 5)
      port = std::stoi(e.substr(colon + 1));
    if (port <= 0 || port > 65535)
      return "--join: expected HOST:PORT, got '" + e + "'";
    out.emplace_back(e.substr(0, colon), static_cast<uint16_t>(port));
  }
  return out;
}

// Renders the members for `get_status`.
std::string nodes_json(const cluster::member_list& ms) {
  std::string out = "[";
  for (auto& m : ms) {
    if (out.size() > 1)
      out += ',';
    out += protocol::object_writer{}
               .str("name", m.name)
               .str("host", m.host)
               .num("port", m.port)
               .unum("running", m.running)
               .boolean("draining", m.draining)
               .finish();
  }
  return out + "]";
}

} // namespace

struct application::impl {
  options opts;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<const tools::workspace> ws;
  std::shared_ptr<tools::worker_pool> pool;
  actors::tool_registry_actor registry;
  actors::task_manager_actor manager;
  std::shared_ptr<store::database> db;
  store::writer_actor writer;
  std::shared_ptr<gateway> gw;
  cluster::node_agent_actor agent;
  uint16_t cluster_port = 0;
  metrics::registry_ptr metrics;
  std::shared_ptr<actors::server_status> status =
      std::make_shared<actors::server_status>();
  std::unique_ptr<transport::server> server;
  bool running = false;

  explicit impl(options o) : opts(std::move(o)), cfg(make_config(opts)) {}
};

application::application(options opts)
    : impl_(std::make_unique<impl>(std::move(opts))) {}

application::~application() {
  stop();
}

std::string application::start() {
  auto& d = *impl_;
  if (!is_loopback(d.opts.host) && d.opts.tokens.empty() && !d.opts.insecure)
    return "refusing to bind " + d.opts.host +
           " without --tokens (pass --insecure to allow it)";
  if (d.opts.cluster_port < 0 && !d.opts.join.empty())
    return "--join needs --cluster-port (the port this node listens on for "
           "the others)";
  if (d.opts.cluster_port >= 0 && !is_loopback(d.opts.cluster_host) &&
      d.opts.cluster_secret.empty())
    return "refusing --cluster-host=" + d.opts.cluster_host +
           ": the cluster protocol (CAF's BASP) authenticates nobody; set "
           "--cluster-secret (the same on every node), or use a loopback "
           "address";
  if (!d.opts.cluster_secret.empty() && d.opts.cluster_secret.size() < 16)
    return "--cluster-secret: use at least 16 characters";
  if (d.opts.cluster_port >= 0 &&
      (d.opts.node.empty() || d.opts.node.size() > 64 ||
       d.opts.node.find_first_not_of("abcdefghijklmnopqrstuvwxyz"
                                     "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                     "0123456789._-") != std::string::npos))
    return "--node-name: a cluster node's name has 1 to 64 letters, digits, "
           "'.', '_' or '-' (it is part of its task ids), got '" +
           d.opts.node + "'";
  auto seeds = parse_join(d.opts.join);
  if (auto* err = std::get_if<std::string>(&seeds))
    return *err;
  // Plugin kinds join the catalog before anything reads it (metrics, the
  // task manager, the cluster); a refused plugin stops the start.
  if (!d.opts.flows.empty()) {
    auto loaded = flows::load_plugins(d.opts.flows);
    if (auto* reason = std::get_if<std::string>(&loaded))
      return *reason;
    for (auto& p : std::get<std::vector<flows::loaded_plugin>>(loaded)) {
      std::string kinds;
      for (auto& k : p.kinds)
        kinds += (kinds.empty() ? "" : ",") + k;
      log::info("flows plugin loaded", {{"file", p.path}, {"kinds", kinds}});
    }
  }
  auto opened = tools::workspace::open(d.opts.workspace);
  if (auto* reason = std::get_if<std::string>(&opened))
    return "workspace " + d.opts.workspace + ": " + *reason;
  d.ws = std::make_shared<const tools::workspace>(
      std::get<tools::workspace>(std::move(opened)));
  if (d.opts.history) {
    auto t0 = std::chrono::steady_clock::now();
    auto db =
        store::database::open(d.opts.data_dir, d.opts.durability == "full"
                                                   ? store::durability::full
                                                   : store::durability::normal);
    if (auto* reason = std::get_if<std::string>(&db))
      return "task history: " + *reason;
    d.db = std::move(std::get<std::unique_ptr<store::database>>(db));
    auto ended = store::recover(*d.db, protocol::now_ms());
    if (auto* reason = std::get_if<std::string>(&ended))
      return "task history " + d.db->path().string() + ": " + *reason;
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    log::info(
        "task history opened",
        {{"file", d.db->path().string()},
         {"interrupted_tasks", static_cast<int64_t>(std::get<size_t>(ended))},
         {"took_ms", static_cast<int64_t>(took.count())}});
  }
  d.sys = std::make_unique<caf::actor_system>(d.cfg);
  d.pool = std::make_shared<tools::worker_pool>(d.opts.worker_threads,
                                                d.opts.worker_queue);
  registry::registry_setup rs;
  rs.tools = tools::builtin_tools();
  rs.node = d.opts.node;
  rs.workspace = d.ws;
  rs.pool = d.pool;
  rs.call_timeout = std::chrono::milliseconds{d.opts.tool_timeout_ms};
  rs.max_call_bytes = d.opts.tool_max_bytes;
  rs.max_result_bytes = d.opts.max_result_bytes;
  {
    std::vector<std::string> kinds, tool_names;
    for (auto& k : flows::catalog())
      kinds.push_back(k.name);
    for (auto& t : rs.tools)
      tool_names.push_back(t.name);
    d.metrics = std::make_shared<metrics::registry>(
        metrics::build_info::current(SWITCHBOARD_VERSION), kinds, tool_names);
  }
  rs.metrics = d.metrics;
  // Only a cluster changes the catalog, and only after the gateway exists
  // (the node agent starts after it).
  rs.changed = [dp = &d](const std::vector<protocol::tool_info>& tools) {
    dp->gw->announce_tools(protocol::encode_tools(
        {}, tools, protocol::message_type::tools_changed));
  };
  d.registry = d.sys->spawn(registry::tool_registry, std::move(rs));
  if (d.db) {
    store::writer_setup ws;
    ws.db = d.db;
    ws.retention = std::chrono::milliseconds{d.opts.retention_ms};
    ws.max_tasks = d.opts.max_tasks_kept;
    // Short retentions (tests, demos) are enforced promptly.
    ws.tidy_interval =
        std::clamp(ws.retention / 4, std::chrono::milliseconds{100},
                   std::chrono::milliseconds{10000});
    auto reg = d.metrics;
    auto status = d.status;
    ws.hooks.committed = [reg, status](size_t events, size_t tasks,
                                       std::chrono::nanoseconds took, bool ok) {
      if (status->storage_ok.exchange(ok) != ok) {
        if (ok)
          log::info("task history writable again");
        else
          log::error("task history not writable");
      }
      // A probe of a full disk (nothing in it) counts only as an error.
      if (events > 0 || tasks > 0 || !ok)
        reg->store_commit(events, tasks,
                          std::chrono::duration<double>(took).count(), ok);
    };
    ws.hooks.expired = [reg](const store::expired& x) {
      reg->store_expired(x.tasks, x.events);
    };
    ws.hooks.sized = [reg](const store::sizes& x) {
      reg->store_size(x.bytes, x.tasks, x.events);
    };
    // Its own thread: SQLite's writes and fsyncs block.
    d.writer = d.sys->spawn<caf::detached>(store::writer, std::move(ws));
  }
  actors::task_manager_setup ms;
  ms.registry = d.registry;
  ms.workspace = d.ws;
  ms.limits.max_log = d.opts.max_log_events;
  ms.limits.retention = std::chrono::milliseconds{d.opts.retention_ms};
  if (d.writer) {
    // The history keeps finished tasks; memory only while they are fresh
    // (a forgotten one is loaded again when asked for).
    ms.limits.retention =
        std::min(ms.limits.retention, std::chrono::milliseconds{60000});
    ms.store = d.writer;
    ms.last_ordinal = d.db->max_ordinal();
  }
  ms.node = d.opts.node;
  ms.clustered = d.opts.cluster_port >= 0;
  ms.limits.tool_timeout = std::chrono::milliseconds{d.opts.tool_timeout_ms};
  ms.limits.stale_after = std::chrono::milliseconds{d.opts.stale_after_ms};
  ms.limits.orphan_after = std::chrono::milliseconds{d.opts.orphan_after_ms};
  ms.max_running = d.opts.max_tasks;
  ms.max_retained_bytes = d.opts.max_retained_bytes;
  ms.max_params_bytes = d.opts.max_params_bytes;
  ms.metrics = d.metrics;
  d.manager = d.sys->spawn(actors::task_manager, std::move(ms));
  gateway::settings gs;
  gs.heartbeat = std::chrono::milliseconds{d.opts.heartbeat_ms};
  gs.limits.max_bytes = d.opts.max_message_bytes;
  gs.limits.max_depth = d.opts.max_json_depth;
  gs.server = "switchboard/" SWITCHBOARD_VERSION;
  gs.access = std::make_shared<const access_policy>(
      access_policy::config{d.opts.tokens, d.opts.allowed_origins,
                            d.opts.allowed_hosts, d.opts.host});
  d.status->node = d.opts.node;
  d.status->server = gs.server;
  d.status->history = d.opts.history ? "sqlite" : "memory";
  d.status->retention_ms = d.opts.retention_ms;
  if (d.opts.history)
    d.status->max_tasks_kept = d.opts.max_tasks_kept;
  gs.status = d.status;
  gs.rate_limit = d.opts.rate_limit;
  gs.metrics = d.metrics;
  d.gw = std::make_shared<gateway>(*d.sys, d.manager, d.registry, gs);
  transport::server_options so;
  so.host = d.opts.host;
  so.port = d.opts.port;
  so.max_message_bytes = d.opts.max_message_bytes;
  so.max_body_bytes = d.opts.max_body_bytes;
  so.max_queue_bytes = d.opts.max_queue_bytes;
  so.heartbeat = gs.heartbeat;
  so.write_timeout = std::chrono::milliseconds{d.opts.write_timeout_ms};
  so.socket_send_buffer = d.opts.socket_send_buffer;
  so.threads = d.opts.io_threads;
  so.max_connections = d.opts.max_connections;
  so.observer = metrics::transport_observer(d.metrics);
  if (d.opts.cluster_port >= 0) {
    cluster::agent_setup as;
    as.self.name = d.opts.node;
    as.self.incarnation = actors::make_id("n-");
    as.self.host = d.opts.cluster_host;
    for (auto& k : flows::catalog())
      as.self.kinds.push_back(k.name);
    for (auto& t : tools::builtin_tools())
      as.self.tools.push_back(
          protocol::tool_info{t.name, t.description, t.schema, d.opts.node});
    as.registry = d.registry;
    as.manager = d.manager;
    as.secret = d.opts.cluster_secret;
    as.seeds = std::get<std::vector<cluster::address>>(std::move(seeds));
    as.changed = [status = d.status,
                  metrics = d.metrics](const cluster::member_list& ms) {
      status->set_nodes(nodes_json(ms));
      metrics->cluster_nodes(ms.size());
    };
    as.lost = [metrics = d.metrics](const std::string&) {
      metrics->node_lost();
    };
    d.agent = d.sys->spawn(cluster::node_agent, std::move(as));
    auto port = d.sys->middleman().publish(
        d.agent, static_cast<uint16_t>(d.opts.cluster_port),
        d.opts.cluster_host.c_str(), true);
    if (!port)
      return "cannot listen on the cluster port " + d.opts.cluster_host + ":" +
             std::to_string(d.opts.cluster_port) + ": " +
             d.sys->render(port.error());
    caf::anon_send(d.agent, cluster::listen_atom::value, *port);
    d.cluster_port = *port;
    log::info("cluster port open",
              {{"node", d.opts.node},
               {"address", d.opts.cluster_host + ":" + std::to_string(*port)}});
  }
  d.server = std::make_unique<transport::server>(so, d.gw);
  d.running = true;
  if (auto err = d.server->start(); !err.empty())
    return err;
  return {};
}

uint16_t application::cluster_port() const {
  return impl_->cluster_port;
}

uint16_t application::port() const {
  return impl_->server ? impl_->server->port() : 0;
}

void application::drain() {
  auto& d = *impl_;
  if (!d.running)
    return;
  auto grace = d.opts.grace_ms;
  d.status->grace_ms = grace;
  d.status->draining = true;
  d.gw->announce_shutdown(grace);
  {
    caf::scoped_actor self{*d.sys};
    self->request(d.manager, std::chrono::milliseconds{grace + 5000},
                  actors::drain_atom::value, grace)
        .receive([](actors::ok_atom) {}, [](caf::error&) {});
  }
  // Sessions close after writing what they hold, so every subscriber gets
  // every event up to each task's terminal one.
  d.gw->close_sessions(to_uint(protocol::close_code::going_away));
  d.gw->wait_sessions_closed(std::chrono::seconds(2));
}

void application::stop() {
  auto& d = *impl_;
  if (!d.running)
    return;
  d.running = false;
  d.server->stop();
  d.gw->end_sessions();
  caf::anon_send_exit(d.manager, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(d.registry, caf::exit_reason::user_shutdown);
  if (d.agent) {
    // The other nodes see this one leave with its exit reason, not lost.
    caf::anon_send_exit(d.agent, caf::exit_reason::user_shutdown);
    d.agent = nullptr;
  }
  if (d.writer) {
    // An empty append is answered with the commit after everything queued
    // before it: the last events of drained tasks are on disk.
    caf::scoped_actor self{*d.sys};
    self->request(d.writer, std::chrono::seconds(10), store::append_atom::value,
                  store::batch{})
        .receive([](std::string&) {}, [](caf::error&) {});
    caf::anon_send_exit(d.writer, caf::exit_reason::user_shutdown);
    // A detached actor's thread ends only once the last handle to it is
    // gone, and the system's shutdown waits for that thread.
    d.writer = nullptr;
  }
  d.pool->stop();
  d.sys.reset();
  d.db.reset();
}

} // namespace switchboard::app
