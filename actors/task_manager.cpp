#include "actors/task_manager.hpp"

#include <openssl/rand.h>

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

task_manager_actor::behavior_type
task_manager(task_manager_actor::stateful_pointer<task_manager_state> self,
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
    st.ids.erase(i);
  });
  return {
      [=](start_atom, std::string& kind, std::string& params,
          std::string& owner) -> caf::result<std::string, task_actor> {
        auto& st = self->state;
        auto def = flows::find_kind(kind);
        if (!def)
          return make_error(error_code::unknown_task_kind,
                            "no task kind " + kind);
        std::string normalized;
        auto reason =
            flows::check_params(*def, params, *st.setup.workspace, normalized);
        if (!reason.empty())
          return make_error(error_code::invalid_params, reason);
        task_setup ts;
        ts.id = make_id("t-");
        ts.kind = def;
        ts.params = std::move(normalized);
        ts.owner = std::move(owner);
        ts.registry = st.setup.registry;
        ts.workspace = st.setup.workspace;
        ts.limits = st.setup.limits;
        ts.created_ms = protocol::now_ms();
        auto id = ts.id;
        auto handle = self->spawn(task, std::move(ts));
        self->monitor(handle);
        st.ids.emplace(handle.address(), id);
        st.tasks.emplace(id, handle);
        return {std::move(id), std::move(handle)};
      },
      [=](get_atom, const std::string& id) -> caf::result<task_actor> {
        auto& st = self->state;
        auto i = st.tasks.find(id);
        if (i == st.tasks.end())
          return make_error(error_code::unknown_task, "no task " + id);
        return i->second;
      },
      [=](list_atom) -> caf::result<std::vector<protocol::task_info>> {
        auto& st = self->state;
        using result_t = std::vector<protocol::task_info>;
        auto promise = self->make_response_promise<result_t>();
        if (st.tasks.empty()) {
          promise.deliver(result_t{});
          return promise;
        }
        // Ask every task for its info; answer when the last one replied.
        struct collector {
          result_t infos;
          size_t pending;
        };
        auto acc = std::make_shared<collector>(collector{{}, st.tasks.size()});
        auto done = [acc, promise]() mutable {
          if (--acc->pending == 0) {
            std::sort(
                acc->infos.begin(), acc->infos.end(),
                [](auto& a, auto& b) { return a.created_ms < b.created_ms; });
            promise.deliver(std::move(acc->infos));
          }
        };
        for (auto& [id, handle] : st.tasks)
          self->request(handle, std::chrono::seconds(5), get_atom::value)
              .then(
                  [acc, done](protocol::task_info& info) mutable {
                    acc->infos.push_back(std::move(info));
                    done();
                  },
                  [done](caf::error&) mutable { done(); });
        return promise;
      },
  };
}

} // namespace switchboard::actors
