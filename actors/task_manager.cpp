#include "actors/task_manager.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <charconv>
#include <variant>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "flows/catalog.hpp"
#include "protocol/encoder.hpp"
#include "protocol/json.hpp"
#include "util/split.hpp"

namespace switchboard::actors {

using protocol::error_code;

std::string make_id(std::string_view prefix) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string result{prefix};
  for (auto b : bytes) {
    result += hex[b >> 4];
    result += hex[b & 0xF];
  }
  return result;
}

std::string_view node_of_task(std::string_view id) {
  // t- NODE - 32 hex digits
  constexpr size_t hex_digits = 32;
  if (id.size() < 2 + 1 + 1 + hex_digits || id.substr(0, 2) != "t-" ||
      id[id.size() - hex_digits - 1] != '-')
    return {};
  return id.substr(2, id.size() - hex_digits - 3);
}

namespace {

using self_ptr = task_manager_actor::stateful_pointer<task_manager_state>;

// Sweeps at a quarter of the shortest period, within [100 ms, 10 s].
std::chrono::milliseconds sweep_interval(const task_limits& lim) {
  using ms = std::chrono::milliseconds;
  auto shortest = ms{0};
  for (auto x : {lim.stale_after, lim.orphan_after})
    if (x.count() > 0 && (shortest.count() == 0 || x < shortest))
      shortest = x;
  return std::clamp(shortest / 4, ms{100}, ms{10000});
}

void schedule_sweep(self_ptr self) {
  auto& lim = self->state.setup.limits;
  if (self->state.sweeping ||
      (lim.stale_after.count() == 0 && lim.orphan_after.count() == 0))
    return;
  self->state.sweeping = true;
  self->delayed_send(self, sweep_interval(lim), sweep_atom::value);
}

void check_drained(self_ptr self) {
  auto& st = self->state;
  if (st.drained && st.running.empty()) {
    st.drained->deliver(ok_atom::value);
    st.drained.reset();
  }
}

// Forgets the oldest finished tasks (by start) until the retained logs fit
// the budget.
void evict_over_budget(self_ptr self) {
  auto& st = self->state;
  while (st.retained_bytes > st.setup.max_retained_bytes &&
         !st.finished.empty()) {
    auto [ordinal, bytes] = *st.finished.begin();
    st.finished.erase(st.finished.begin());
    st.retained_bytes -= bytes;
    if (auto t = st.tasks.find(st.by_ordinal[ordinal]); t != st.tasks.end())
      self->send(t->second, expire_atom::value);
  }
}

// Registers a task actor under its id for its owner.
void enroll(self_ptr self, const std::string& id, const std::string& owner,
            const task_actor& handle) {
  auto& st = self->state;
  self->monitor(handle);
  st.ids.emplace(handle.address(), id);
  st.tasks.emplace(id, handle);
  st.owners.emplace(id, owner);
  st.by_ordinal.emplace(st.next_ordinal, id);
  st.ordinal_of.emplace(id, st.next_ordinal++);
}

using launched_task = std::pair<std::string, task_actor>;

// Checks a start and spawns the task; answers its id and handle, or why not.
std::variant<launched_task, caf::error> launch(self_ptr self,
                                               const std::string& kind,
                                               const std::string& params,
                                               const std::string& owner) {
  auto& st = self->state;
  if (st.draining)
    return make_error(error_code::shutting_down, "the server is shutting down");
  // Params live in the task, its `started` event and its snapshot for the
  // task's whole life: bound what one start can pin.
  if (params.size() > st.setup.max_params_bytes)
    return make_error(error_code::invalid_params,
                      "params are larger than " +
                          std::to_string(st.setup.max_params_bytes) + " bytes");
  auto def = flows::find_kind(kind);
  if (!def)
    return make_error(error_code::unknown_task_kind, "no task kind " + kind);
  if (st.running.size() >= st.setup.max_running)
    return make_error(error_code::overloaded,
                      std::to_string(st.running.size()) +
                          " tasks are running; try again later");
  std::string normalized;
  std::string reason;
  try {
    reason = flows::check_params(*def, params, *st.setup.workspace, normalized);
  } catch (const std::exception& e) {
    // A bug in a kind's check refuses this start, not every later one.
    log::error("kind check failed", {{"kind", std::string_view{kind}},
                                     {"what", std::string_view{e.what()}}});
    return make_error(error_code::internal, "the params check failed");
  }
  if (!reason.empty())
    return make_error(error_code::invalid_params, reason);
  task_setup ts;
  ts.id = make_id(st.setup.clustered ? "t-" + st.setup.node + "-" : "t-");
  ts.kind = def;
  ts.params = std::move(normalized);
  ts.owner = owner;
  ts.registry = st.setup.registry;
  ts.manager = caf::actor_cast<task_manager_actor>(self);
  ts.workspace = st.setup.workspace;
  ts.limits = st.setup.limits;
  ts.metrics = st.setup.metrics;
  ts.created_ms = protocol::now_ms();
  ts.store = st.setup.store;
  ts.node = st.setup.node;
  ts.ordinal = st.next_ordinal; // `enroll` takes it
  auto id = ts.id;
  auto handle = self->spawn(task, std::move(ts));
  enroll(self, id, owner, handle);
  st.running.insert(id);
  schedule_sweep(self);
  return launched_task{std::move(id), std::move(handle)};
}

// Takes the `node` a start's params may name (it pins the task to that
// node) out of them; answers the node, or empty when none is named.
std::variant<std::string, caf::error> take_node(std::string& params) {
  if (params.find("\"node\"") == std::string::npos)
    return std::string{};
  rapidjson::Document doc;
  if (protocol::parse_json(params, doc, {}).code != error_code::none ||
      !doc.IsObject() || !doc.HasMember("node"))
    return std::string{}; // the kind's check says what is wrong
  auto& v = doc["node"];
  if (!v.IsString())
    return make_error(error_code::invalid_params,
                      "params.node must be a node's name");
  std::string node{v.GetString(), v.GetStringLength()};
  doc.RemoveMember("node");
  params = protocol::to_json(doc);
  return node;
}

// Chooses where a start runs: the node `pinned` if given, else the node that
// offers the kind with the fewest running tasks (this one on a tie).
// Answers the node's name, empty for this one.
std::variant<std::string, caf::error>
place(self_ptr self, const std::string& kind, const std::string& pinned) {
  auto& st = self->state;
  if (!pinned.empty()) {
    if (pinned == st.setup.node)
      return std::string{};
    for (auto& p : st.peers)
      if (p.name == pinned)
        return pinned;
    return make_error(error_code::invalid_params,
                      "params.node: no node " + pinned + " in the cluster");
  }
  if (st.peers.empty())
    return std::string{};
  std::string best;
  auto best_load = UINT64_MAX;
  if (!st.draining && flows::find_kind(kind))
    best_load = st.running.size();
  for (auto& p : st.peers) {
    if (p.draining || p.running >= best_load ||
        std::find(p.kinds.begin(), p.kinds.end(), kind) == p.kinds.end())
      continue;
    best = p.name;
    best_load = p.running;
  }
  return best;
}

// Answers the lookups waiting for a task loaded from the history.
void loaded(self_ptr self, const std::string& id,
            std::vector<store::task_row>& rows) {
  auto& st = self->state;
  auto waiting = std::move(st.loading[id]);
  st.loading.erase(id);
  if (rows.empty()) {
    for (auto& [principal, promise] : waiting)
      promise.deliver(make_error(error_code::unknown_task, "no task " + id));
    return;
  }
  auto& row = rows.front();
  auto i = st.tasks.find(id);
  if (i == st.tasks.end()) {
    task_setup ts;
    ts.id = row.id;
    ts.params = row.params;
    ts.owner = row.owner;
    ts.registry = st.setup.registry;
    ts.manager = caf::actor_cast<task_manager_actor>(self);
    ts.workspace = st.setup.workspace;
    ts.limits = st.setup.limits;
    ts.created_ms = row.created_ms;
    ts.store = st.setup.store;
    ts.node = row.node;
    ts.ordinal = row.ordinal;
    uint64_t bytes = row.params.size() + row.outcome.size() + 64;
    auto owner = row.owner;
    ts.archived = std::move(row);
    enroll(self, id, owner, self->spawn(task, std::move(ts)));
    auto ordinal = st.ordinal_of[id];
    st.finished[ordinal] = bytes;
    st.retained_bytes += bytes;
    i = st.tasks.find(id);
  }
  for (auto& [principal, promise] : waiting) {
    if (st.owners[id] != principal)
      promise.deliver(make_error(error_code::forbidden,
                                 "task " + id + " belongs to another token"));
    else
      promise.deliver(i->second);
  }
  evict_over_budget(self);
}

bool matches(const protocol::task_filter& f, const protocol::task_info& t) {
  return (f.states.empty() || std::find(f.states.begin(), f.states.end(),
                                        t.state) != f.states.end()) &&
         (f.kind.empty() || f.kind == t.task) && t.created_ms >= f.since_ms &&
         t.created_ms < f.until_ms;
}

using page_t = std::vector<protocol::task_info>;

// Lists from the history: the cursor is the ordinal of the last entry of the
// previous page.
caf::result<page_t, std::string> list_stored(self_ptr self,
                                             const std::string& principal,
                                             protocol::task_filter& filter,
                                             uint64_t limit,
                                             const std::string& cursor) {
  store::task_query q;
  q.owner = principal;
  q.filter = std::move(filter);
  q.limit = static_cast<size_t>(limit) + 1;
  if (!cursor.empty()) {
    uint64_t before = 0;
    auto end = cursor.data() + cursor.size();
    auto [ptr, ec] = std::from_chars(cursor.data(), end, before);
    if (ec != std::errc{} || ptr != end)
      return make_error(error_code::bad_message,
                        "cursor is not one this server gave");
    q.before = before;
  }
  auto promise = self->make_response_promise<page_t, std::string>();
  self->request(self->state.setup.store, std::chrono::seconds(30),
                store::query_atom::value, std::move(q))
      .then(
          [=](std::vector<store::task_row>& rows) mutable {
            std::string next;
            if (rows.size() > limit) {
              rows.resize(limit);
              next = std::to_string(rows.back().ordinal);
            }
            page_t page;
            page.reserve(rows.size());
            for (auto& r : rows)
              page.push_back(protocol::task_info{
                  std::move(r.id), std::move(r.kind), std::move(r.state),
                  r.created_ms, r.last_seq, r.ended_ms, std::move(r.node),
                  r.ordinal});
            promise.deliver(std::move(page), std::move(next));
          },
          [=](caf::error& err) mutable {
            promise.deliver(make_error(error_code::storage_unavailable,
                                       "the task history cannot be read: " +
                                           caf::to_string(err)));
          });
  return promise;
}

// Lists this node's tasks: from the history, or those in memory.
caf::result<page_t, std::string> list_here(self_ptr self,
                                           const std::string& principal,
                                           protocol::task_filter& filter,
                                           uint64_t limit,
                                           const std::string& cursor) {
  auto& st = self->state;
  if (st.setup.store)
    return list_stored(self, principal, filter, limit, cursor);
  using page_t = std::vector<protocol::task_info>;
  // The cursor is the start ordinal of the last task of the previous
  // page; the page holds older tasks only.
  uint64_t before = UINT64_MAX;
  if (!cursor.empty()) {
    auto [ptr, ec] =
        std::from_chars(cursor.data(), cursor.data() + cursor.size(), before);
    if (ec != std::errc{} || ptr != cursor.data() + cursor.size())
      return make_error(error_code::bad_message,
                        "cursor is not one this server gave");
  }
  std::vector<std::pair<uint64_t, task_actor>> page;
  std::string next;
  for (auto i = st.by_ordinal.lower_bound(before);
       i != st.by_ordinal.begin();) {
    --i;
    auto& id = i->second;
    if (st.owners[id] != principal)
      continue;
    if (page.size() == limit) {
      next = std::to_string(page.back().first);
      break;
    }
    page.emplace_back(i->first, st.tasks[id]);
  }
  auto promise = self->make_response_promise<page_t, std::string>();
  if (page.empty()) {
    promise.deliver(page_t{}, std::move(next));
    return promise;
  }
  // Ask each task of the page for its info; answer when the last one
  // replied, in the page's order.
  struct collector {
    std::vector<std::optional<protocol::task_info>> infos;
    size_t pending;
  };
  auto acc = std::make_shared<collector>(
      collector{std::vector<std::optional<protocol::task_info>>(page.size()),
                page.size()});
  auto done = [acc, promise, next, filter]() mutable {
    if (--acc->pending == 0) {
      page_t infos;
      for (auto& x : acc->infos)
        if (x && matches(filter, *x))
          infos.push_back(std::move(*x));
      promise.deliver(std::move(infos), std::move(next));
    }
  };
  for (size_t k = 0; k < page.size(); ++k)
    self->request(page[k].second, std::chrono::seconds(5), get_atom::value)
        .then(
            [acc, done, k](protocol::task_info& info) mutable {
              acc->infos[k] = std::move(info);
              done();
            },
            [done](caf::error&) mutable { done(); });
  return promise;
}

// A cluster list's cursor holds each node's own: "c~NODE~CURSOR~NODE~..."
// (only characters a URL carries as they are), where a node's cursor is ""
// for its newest tasks and "-" once it has no more.
using node_cursors = std::map<std::string, std::string>;

std::optional<node_cursors> parse_cursors(const std::string& text) {
  node_cursors out;
  if (text.empty())
    return out;
  auto items = util::split(text, '~');
  if (items.size() % 2 == 0 || items.front() != "c")
    return std::nullopt;
  for (size_t i = 1; i + 1 < items.size(); i += 2) {
    if (items[i].empty())
      return std::nullopt;
    out[items[i]] = items[i + 1];
  }
  return out;
}

std::string print_cursors(const node_cursors& cs) {
  bool more = false;
  std::string out = "c";
  for (auto& [node, c] : cs) {
    more = more || c != "-";
    out += "~" + node + "~" + c;
  }
  return more ? out : std::string{};
}

// Lists every node's tasks: asks each node for a page after its own cursor,
// merges them newest first (by creation) and keeps `limit`; the next cursor
// holds, for each node, where its part of this page ended. A node that does
// not answer is left out of this page and asked again for the next.
caf::result<page_t, std::string> list_cluster(self_ptr self,
                                              const std::string& principal,
                                              protocol::task_filter& filter,
                                              uint64_t limit,
                                              const std::string& cursor) {
  auto& st = self->state;
  auto cursors = parse_cursors(cursor);
  if (!cursors)
    return make_error(error_code::bad_message,
                      "cursor is not one this server gave");
  struct gather {
    node_cursors asked;
    std::map<std::string, std::pair<page_t, std::string>> pages;
    size_t pending = 0;
  };
  auto acc = std::make_shared<gather>();
  std::vector<std::string> nodes{st.setup.node};
  for (auto& p : st.peers)
    nodes.push_back(p.name);
  for (auto& n : nodes)
    acc->asked[n] = cursors->count(n) ? (*cursors)[n] : std::string{};
  auto promise = self->make_response_promise<page_t, std::string>();
  auto finish = [=]() mutable {
    std::vector<std::pair<std::string, const protocol::task_info*>> all;
    for (auto& [node, pg] : acc->pages)
      for (auto& t : pg.first)
        all.emplace_back(node, &t);
    std::stable_sort(all.begin(), all.end(), [](auto& x, auto& y) {
      if (x.second->created_ms != y.second->created_ms)
        return x.second->created_ms > y.second->created_ms;
      if (x.first != y.first)
        return x.first < y.first;
      return x.second->ordinal > y.second->ordinal;
    });
    if (all.size() > limit)
      all.resize(limit);
    std::map<std::string, size_t> taken;
    page_t out;
    for (auto& [node, t] : all) {
      ++taken[node];
      out.push_back(*t);
    }
    auto next = acc->asked;
    for (auto& [node, pg] : acc->pages) {
      auto k = taken[node];
      if (k == pg.first.size())
        next[node] = pg.second.empty() ? "-" : pg.second;
      else if (k > 0)
        next[node] = std::to_string(pg.first[k - 1].ordinal);
    }
    promise.deliver(std::move(out), print_cursors(next));
  };
  for (auto& [node, c] : acc->asked) {
    if (c == "-")
      continue;
    ++acc->pending;
    auto take = [=, node = node](page_t& page, std::string& next) mutable {
      acc->pages[node] = {std::move(page), std::move(next)};
      if (--acc->pending == 0)
        finish();
    };
    auto skip = [=, node = node](caf::error& err) mutable {
      log::warn("cluster: a node's task list is left out",
                {{"node", node}, {"error", caf::to_string(err)}});
      if (--acc->pending == 0)
        finish();
    };
    if (node == st.setup.node)
      self->request(caf::actor_cast<task_manager_actor>(self),
                    std::chrono::seconds(10), list_atom::value,
                    here_atom::value, principal, filter, limit, c)
          .then(take, skip);
    else
      self->request(st.door, std::chrono::seconds(5), list_atom::value, node,
                    principal, filter, limit, c)
          .then(take, skip);
  }
  if (acc->pending == 0)
    promise.deliver(page_t{}, std::string{});
  return promise;
}
} // namespace

task_manager_actor::behavior_type task_manager(self_ptr self,
                                               task_manager_setup setup) {
  self->state.setup = std::move(setup);
  self->state.next_ordinal = self->state.setup.last_ordinal + 1;
  on_exception(self);
  // At shutdown the manager takes its tasks along; they hold timers (input
  // timeouts, retention) that would otherwise keep the system alive.
  self->set_exit_handler([=](caf::exit_msg& msg) {
    for (auto& [id, t] : self->state.tasks)
      self->send_exit(t, msg.reason);
    self->quit(msg.reason);
  });
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.ids.find(dm.source);
    if (i == st.ids.end())
      return;
    if (auto o = st.ordinal_of.find(i->second); o != st.ordinal_of.end()) {
      if (auto f = st.finished.find(o->second); f != st.finished.end()) {
        st.retained_bytes -= f->second;
        st.finished.erase(f);
      }
      st.by_ordinal.erase(o->second);
      st.ordinal_of.erase(o);
    }
    st.tasks.erase(i->second);
    st.owners.erase(i->second);
    st.running.erase(i->second);
    st.ids.erase(i);
    check_drained(self);
  });
  // Starts here, with no sink: answers once the task is visible.
  auto start_here =
      [=](std::string& kind, std::string& params,
          std::string& owner) -> caf::result<std::string, task_actor> {
    auto launched = launch(self, kind, params, owner);
    if (auto* err = std::get_if<caf::error>(&launched))
      return std::move(*err);
    auto [id, handle] = std::get<launched_task>(std::move(launched));
    if (!self->state.setup.store)
      return {std::move(id), std::move(handle)};
    // Answer once the task is in the history (its first commit), so
    // that a list right after the start shows it.
    auto promise = self->make_response_promise<std::string, task_actor>();
    self->request(handle, caf::infinite, get_atom::value)
        .then(
            [=](protocol::task_info&) mutable { promise.deliver(id, handle); },
            [=](caf::error& err) mutable { promise.deliver(err); });
    return promise;
  };
  // Starts here with a first subscriber: the task answers the starter, its
  // reply before any event.
  auto start_here_with = [=](std::string& kind, std::string& params,
                             std::string& owner, event_sink& sink,
                             bool coalesce) -> caf::result<subscription> {
    auto launched = launch(self, kind, params, owner);
    if (auto* err = std::get_if<caf::error>(&launched))
      return std::move(*err);
    auto& handle = std::get<launched_task>(launched).second;
    return self->delegate(handle, subscribe_atom::value, std::move(sink),
                          uint64_t{0}, coalesce);
  };
  // Where a start goes: empty for here, else the node's name.
  auto where =
      [=](const std::string& kind,
          std::string& params) -> std::variant<std::string, caf::error> {
    auto pinned = take_node(params);
    if (auto* err = std::get_if<caf::error>(&pinned))
      return std::move(*err);
    return place(self, kind, std::get<std::string>(pinned));
  };
  return {
      [=](start_atom, std::string& kind, std::string& params,
          std::string& owner) -> caf::result<std::string, task_actor> {
        auto node = where(kind, params);
        if (auto* err = std::get_if<caf::error>(&node))
          return std::move(*err);
        if (auto& name = std::get<std::string>(node); !name.empty())
          return self->delegate(self->state.door, start_atom::value, name,
                                std::move(kind), std::move(params),
                                std::move(owner));
        return start_here(kind, params, owner);
      },
      [=](start_atom, std::string& kind, std::string& params,
          std::string& owner, event_sink& sink,
          bool coalesce) -> caf::result<subscription> {
        auto node = where(kind, params);
        if (auto* err = std::get_if<caf::error>(&node))
          return std::move(*err);
        if (auto& name = std::get<std::string>(node); !name.empty())
          return self->delegate(self->state.door, start_atom::value, name,
                                std::move(kind), std::move(params),
                                std::move(owner), std::move(sink), coalesce);
        return start_here_with(kind, params, owner, sink, coalesce);
      },
      [=](start_atom, here_atom, std::string& kind, std::string& params,
          std::string& owner) -> caf::result<std::string, task_actor> {
        return start_here(kind, params, owner);
      },
      [=](start_atom, here_atom, std::string& kind, std::string& params,
          std::string& owner, event_sink& sink,
          bool coalesce) -> caf::result<subscription> {
        return start_here_with(kind, params, owner, sink, coalesce);
      },
      [=](load_atom) -> caf::result<uint64_t, bool> {
        auto& st = self->state;
        return {static_cast<uint64_t>(st.running.size()), st.draining};
      },
      [=](remote_atom, task_door_actor& door, std::vector<peer_node>& peers) {
        self->state.door = std::move(door);
        self->state.peers = std::move(peers);
      },
      [=](get_atom, const std::string& id,
          const std::string& principal) -> caf::result<task_actor> {
        auto& st = self->state;
        auto i = st.tasks.find(id);
        if (i == st.tasks.end() && st.door) {
          // Another node's task: its agent finds it there.
          if (auto node = node_of_task(id);
              !node.empty() && node != st.setup.node)
            return self->delegate(st.door, get_atom::value, id, principal);
        }
        if (i == st.tasks.end()) {
          if (!st.setup.store)
            return make_error(error_code::unknown_task, "no task " + id);
          // Not in memory: the history may have it.
          auto promise = self->make_response_promise<task_actor>();
          auto& waiting = st.loading[id];
          waiting.emplace_back(principal, promise);
          if (waiting.size() == 1)
            self->request(st.setup.store, std::chrono::seconds(30),
                          store::record_atom::value, id)
                .then(
                    [=](std::vector<store::task_row>& rows) {
                      loaded(self, id, rows);
                    },
                    [=](caf::error& err) {
                      auto waiting = std::move(self->state.loading[id]);
                      self->state.loading.erase(id);
                      for (auto& [p, promise] : waiting)
                        promise.deliver(
                            make_error(error_code::storage_unavailable,
                                       "the task history cannot be read: " +
                                           caf::to_string(err)));
                    });
          return promise;
        }
        if (st.owners[id] != principal)
          return make_error(error_code::forbidden,
                            "task " + id + " belongs to another token");
        return i->second;
      },
      [=](list_atom, const std::string& principal,
          protocol::task_filter& filter, uint64_t limit,
          const std::string& cursor) -> caf::result<page_t, std::string> {
        if (self->state.door && !self->state.peers.empty())
          return list_cluster(self, principal, filter, limit, cursor);
        return list_here(self, principal, filter, limit, cursor);
      },
      [=](list_atom, here_atom, const std::string& principal,
          protocol::task_filter& filter, uint64_t limit,
          const std::string& cursor) -> caf::result<page_t, std::string> {
        return list_here(self, principal, filter, limit, cursor);
      },
      [=](drain_atom, int64_t grace_ms) -> caf::result<ok_atom> {
        auto& st = self->state;
        st.draining = true;
        auto promise = self->make_response_promise<ok_atom>();
        st.drained = promise;
        if (st.running.empty()) {
          check_drained(self);
          return promise;
        }
        self->delayed_send(self, std::chrono::milliseconds{grace_ms},
                           timeout_atom::value);
        return promise;
      },
      [=](timeout_atom) {
        // The grace period is over: stop what still runs.
        auto& st = self->state;
        for (auto& id : st.running)
          self->request(st.tasks[id], std::chrono::seconds(5), stop_atom::value,
                        std::string{"shutdown"})
              .then([](std::string&) {}, [](caf::error&) {});
      },
      [=](finished_atom, const std::string& id, uint64_t bytes) {
        auto& st = self->state;
        st.running.erase(id);
        if (auto o = st.ordinal_of.find(id); o != st.ordinal_of.end()) {
          st.finished[o->second] = bytes;
          st.retained_bytes += bytes;
        }
        evict_over_budget(self);
        check_drained(self);
      },
      [=](sweep_atom) {
        auto& st = self->state;
        st.sweeping = false;
        for (auto& id : st.running)
          self->send(st.tasks[id], sweep_atom::value);
        if (!st.running.empty())
          schedule_sweep(self);
      },
  };
}

} // namespace switchboard::actors
