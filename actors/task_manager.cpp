#include "actors/task_manager.hpp"

#include <openssl/rand.h>

#include <algorithm>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "flows/catalog.hpp"
#include "protocol/encoder.hpp"

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

} // namespace

task_manager_actor::behavior_type task_manager(self_ptr self,
                                               task_manager_setup setup) {
  self->state.setup = std::move(setup);
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
    st.tasks.erase(i->second);
    st.owners.erase(i->second);
    st.running.erase(i->second);
    st.ids.erase(i);
    check_drained(self);
  });
  return {
      [=](start_atom, std::string& kind, std::string& params,
          std::string& owner) -> caf::result<std::string, task_actor> {
        auto& st = self->state;
        if (st.draining)
          return make_error(error_code::shutting_down,
                            "the server is shutting down");
        auto def = flows::find_kind(kind);
        if (!def)
          return make_error(error_code::unknown_task_kind,
                            "no task kind " + kind);
        if (st.running.size() >= st.setup.max_running)
          return make_error(error_code::overloaded,
                            std::to_string(st.running.size()) +
                                " tasks are running; try again later");
        std::string normalized;
        auto reason =
            flows::check_params(*def, params, *st.setup.workspace, normalized);
        if (!reason.empty())
          return make_error(error_code::invalid_params, reason);
        task_setup ts;
        ts.id = make_id("t-");
        ts.kind = def;
        ts.params = std::move(normalized);
        ts.owner = owner;
        ts.registry = st.setup.registry;
        ts.manager = caf::actor_cast<task_manager_actor>(self);
        ts.workspace = st.setup.workspace;
        ts.limits = st.setup.limits;
        ts.metrics = st.setup.metrics;
        ts.created_ms = protocol::now_ms();
        auto id = ts.id;
        auto handle = self->spawn(task, std::move(ts));
        self->monitor(handle);
        st.ids.emplace(handle.address(), id);
        st.tasks.emplace(id, handle);
        st.owners.emplace(id, std::move(owner));
        st.running.insert(id);
        schedule_sweep(self);
        return {std::move(id), std::move(handle)};
      },
      [=](get_atom, const std::string& id,
          const std::string& principal) -> caf::result<task_actor> {
        auto& st = self->state;
        auto i = st.tasks.find(id);
        if (i == st.tasks.end())
          return make_error(error_code::unknown_task, "no task " + id);
        if (st.owners[id] != principal)
          return make_error(error_code::forbidden,
                            "task " + id + " belongs to another token");
        return i->second;
      },
      [=](list_atom, const std::string& principal)
          -> caf::result<std::vector<protocol::task_info>> {
        auto& st = self->state;
        using result_t = std::vector<protocol::task_info>;
        auto promise = self->make_response_promise<result_t>();
        std::vector<task_actor> visible;
        for (auto& [id, handle] : st.tasks)
          if (st.owners[id] == principal)
            visible.push_back(handle);
        if (visible.empty()) {
          promise.deliver(result_t{});
          return promise;
        }
        // Ask every task for its info; answer when the last one replied.
        struct collector {
          result_t infos;
          size_t pending;
        };
        auto acc = std::make_shared<collector>(collector{{}, visible.size()});
        auto done = [acc, promise]() mutable {
          if (--acc->pending == 0) {
            std::sort(
                acc->infos.begin(), acc->infos.end(),
                [](auto& a, auto& b) { return a.created_ms < b.created_ms; });
            promise.deliver(std::move(acc->infos));
          }
        };
        for (auto& handle : visible)
          self->request(handle, std::chrono::seconds(5), get_atom::value)
              .then(
                  [acc, done](protocol::task_info& info) mutable {
                    acc->infos.push_back(std::move(info));
                    done();
                  },
                  [done](caf::error&) mutable { done(); });
        return promise;
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
      [=](finished_atom, const std::string& id) {
        self->state.running.erase(id);
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
