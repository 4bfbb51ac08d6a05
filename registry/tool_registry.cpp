#include "registry/tool_registry.hpp"

#include <iostream>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "log/logger.hpp"
#include "protocol/json.hpp"
#include "tools/fs_tools.hpp"
#include "tools/worker_pool.hpp"
#include "tools/workspace.hpp"

namespace switchboard::registry {

using actors::make_error;
using protocol::error_code;

namespace {

// Replaces a result over `max_bytes` with a clear error, so that no client
// (and no task log) receives a reply of unbounded size.
void bound_result(tools::outcome& out, size_t max_bytes) {
  if (out.code != error_code::none || out.json.size() <= max_bytes)
    return;
  out = tools::outcome::fail(
      error_code::tool_failed,
      "the result has " + std::to_string(out.json.size()) +
          " bytes, over the limit of " + std::to_string(max_bytes) +
          " (--max-result-bytes); ask for less, e.g. with max_bytes or "
          "max_entries");
}

} // namespace

namespace {

// Cancels the pending calls whose (caller, call id) key `pred` selects:
// their workers stop soon, and their late answers find nothing and are
// dropped.
template<class Self, class Pred>
void cancel_calls(Self self, Pred pred) {
  auto& st = self->state;
  for (auto i = st.pending.begin(); i != st.pending.end();) {
    if (!pred(i->second.key)) {
      ++i;
      continue;
    }
    auto pc = std::move(i->second);
    i = st.pending.erase(i);
    st.in_flight.erase(pc.key);
    pc.token->cancel();
    if (pc.counted)
      st.setup.metrics->tool_call(*pc.counted, error_code::tool_failed);
    pc.promise.deliver(
        make_error(error_code::tool_failed, "the tool call was cancelled"));
  }
}

// Validates and starts one call (the body of the `call` handler).
template<class Self>
caf::result<std::string> start_call(Self self, std::string& caller,
                                    std::string& call_id, std::string& tool,
                                    std::string& args) {
  auto& st = self->state;
  auto* counted = st.setup.metrics ? &st.setup.metrics->tool(tool) : nullptr;
  auto fail = [&](error_code code, std::string message) {
    if (counted)
      st.setup.metrics->tool_call(*counted, code);
    return make_error(code, std::move(message));
  };
  auto i = st.tools.find(tool);
  if (i == st.tools.end())
    return fail(error_code::unknown_tool, "no tool " + tool);
  auto key = std::make_pair(caller, call_id);
  if (st.in_flight.count(key) > 0)
    return fail(error_code::duplicate_call_id,
                "call id " + call_id + " is still in flight");
  rapidjson::Document doc;
  if (auto ps = protocol::parse_json(args, doc); ps.code != error_code::none)
    return fail(error_code::invalid_args, ps.message);
  if (auto reason = i->second.schema.validate(doc); !reason.empty())
    return fail(error_code::invalid_args, reason);
  auto& def = i->second.def;
  auto token = std::make_shared<tools::cancel_token>(
      std::chrono::steady_clock::now() + st.setup.call_timeout,
      st.setup.max_call_bytes);
  if (!def.blocking) {
    auto t0 = std::chrono::steady_clock::now();
    auto out = def.run(doc, *st.setup.workspace, *token);
    bound_result(out, st.setup.max_result_bytes);
    if (counted)
      st.setup.metrics->tool_duration(
          *counted,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
              .count());
    if (out.code != error_code::none)
      return fail(out.code, tools::valid_utf8(out.message));
    if (counted)
      st.setup.metrics->tool_call(*counted, error_code::none);
    return std::move(out.json);
  }
  auto job = st.next_job++;
  auto promise = self->template make_response_promise<std::string>();
  st.in_flight.insert(key);
  st.pending.emplace(
      job, tool_registry_state::pending_call{
               key, promise, counted, std::chrono::steady_clock::now(), token});
  auto me = caf::actor_cast<actors::tool_registry_actor>(self);
  auto run = def.run;
  auto ws = st.setup.workspace;
  auto max_result = st.setup.max_result_bytes;
  auto submitted = st.setup.pool->submit(
      [me, job, run, ws, token, max_result, args = std::move(args)] {
        tools::outcome out;
        // A call cancelled while it waited in the queue never starts.
        if (token->cancelled()) {
          out = token->stopped();
        } else {
          rapidjson::Document d;
          protocol::parse_json(args, d);
          try {
            out = run(d, *ws, *token);
          } catch (const std::exception& e) {
            out = tools::outcome::fail(error_code::tool_failed, e.what());
          }
          bound_result(out, max_result);
        }
        caf::anon_send(me, actors::done_atom::value, job,
                       static_cast<uint8_t>(out.code), std::move(out.json),
                       std::move(out.message));
      },
      caller, token);
  if (!submitted) {
    st.in_flight.erase(key);
    st.pending.erase(job);
    return fail(error_code::overloaded, "the tool workers are busy");
  }
  return promise;
}

// The whole catalog: this node's tools, then the other nodes'.
template<class Self>
std::vector<protocol::tool_info> catalog(Self self) {
  auto& st = self->state;
  std::vector<protocol::tool_info> out;
  for (auto& [name, e] : st.tools)
    out.push_back(protocol::tool_info{name, e.def.description, e.def.schema,
                                      st.setup.node});
  for (auto& [name, r] : st.remote)
    out.push_back(r.info);
  return out;
}

// Sends a call to the node that has the tool; the per-caller call id guard
// holds across nodes as on one.
template<class Self>
caf::result<std::string>
call_remote(Self self, const tool_registry_state::remote_entry& r,
            std::string& caller, std::string& call_id, std::string& args) {
  auto& st = self->state;
  auto key = std::make_pair(caller, call_id);
  if (st.in_flight.count(key) > 0)
    return make_error(error_code::duplicate_call_id,
                      "call id " + call_id + " is still in flight");
  st.in_flight.insert(key);
  auto job = st.next_job++;
  auto promise = self->template make_response_promise<std::string>();
  st.remote_calls.emplace(
      job, tool_registry_state::remote_call{r.info.node, key, promise});
  auto settle = [self, job](auto&& outcome) {
    auto& st = self->state;
    auto i = st.remote_calls.find(job);
    if (i == st.remote_calls.end())
      return; // already failed with node_lost
    auto rc = std::move(i->second);
    st.remote_calls.erase(i);
    st.in_flight.erase(rc.key);
    rc.promise.deliver(std::forward<decltype(outcome)>(outcome));
  };
  self->request(r.handle, st.setup.call_timeout + std::chrono::seconds(5),
                actors::call_atom::value, caller, call_id, r.tool, args)
      .then(
          [settle](std::string& result) mutable { settle(std::move(result)); },
          [settle](caf::error& err) mutable { settle(std::move(err)); });
  return promise;
}

} // namespace

actors::tool_registry_actor::behavior_type tool_registry(
    actors::tool_registry_actor::stateful_pointer<tool_registry_state> self,
    registry_setup setup) {
  auto& st = self->state;
  st.setup = std::move(setup);
  actors::on_exception(self);
  for (auto& t : st.setup.tools) {
    auto compiled = protocol::schema::compile(t.schema);
    if (auto* reason = std::get_if<std::string>(&compiled)) {
      // A broken built-in schema is a bug: refuse the tool, loudly.
      log::error("tool refused: bad schema",
                 {{"tool", t.name}, {"reason", *reason}});
      continue;
    }
    auto name = t.name;
    st.tools.emplace(name, tool_registry_state::entry{
                               t, std::get<protocol::schema>(compiled)});
  }
  return {
      [=](actors::list_atom) { return catalog(self); },
      [=](actors::call_atom, std::string& caller, std::string& call_id,
          std::string& tool, std::string& args) -> caf::result<std::string> {
        auto& st = self->state;
        if (st.tools.count(tool) == 0)
          if (auto r = st.remote.find(tool); r != st.remote.end())
            return call_remote(self, r->second, caller, call_id, args);
        // A bug in a tool or a schema refuses this call, not every later
        // one: an exception would end the registry.
        try {
          return start_call(self, caller, call_id, tool, args);
        } catch (const std::exception& e) {
          log::error("tool call failed",
                     {{"tool", std::string_view{tool}},
                      {"what", std::string_view{e.what()}}});
          return make_error(error_code::internal, "the tool call failed");
        }
      },
      [=](actors::cancel_atom, const std::string& caller,
          const std::string& call_id) {
        cancel_calls(self, [&](const auto& key) {
          return key.first == caller && key.second == call_id;
        });
        // A call on another node is cancelled there; its answer settles it.
        auto& st = self->state;
        for (auto& [job, rc] : st.remote_calls)
          if (rc.key.first == caller && rc.key.second == call_id)
            if (auto r = std::find_if(
                    st.remote.begin(), st.remote.end(),
                    [&](auto& kv) { return kv.second.info.node == rc.node; });
                r != st.remote.end())
              self->send(r->second.handle, actors::cancel_atom::value, caller,
                         call_id);
      },
      [=](actors::cancel_atom, const std::string& caller) {
        cancel_calls(self,
                     [&](const auto& key) { return key.first == caller; });
      },
      [=](actors::remote_atom, std::vector<actors::remote_catalog>& nodes) {
        auto& st = self->state;
        std::set<std::string> present;
        std::map<std::string, tool_registry_state::remote_entry> remote;
        for (auto& n : nodes) {
          present.insert(n.node);
          for (auto& t : n.tools) {
            auto info = t;
            info.name = n.node + "/" + t.name;
            info.node = n.node;
            remote.emplace(info.name, tool_registry_state::remote_entry{
                                          info, t.name, n.handle});
          }
        }
        // Calls on a node that left end now, not at their timeout.
        for (auto i = st.remote_calls.begin(); i != st.remote_calls.end();) {
          if (present.count(i->second.node) > 0) {
            ++i;
            continue;
          }
          auto rc = std::move(i->second);
          i = st.remote_calls.erase(i);
          st.in_flight.erase(rc.key);
          rc.promise.deliver(make_error(
              error_code::node_lost, "node " + rc.node + " left the cluster"));
        }
        auto changed = remote.size() != st.remote.size() ||
                       !std::equal(remote.begin(), remote.end(),
                                   st.remote.begin(), [](auto& a, auto& b) {
                                     return a.first == b.first &&
                                            a.second.handle == b.second.handle;
                                   });
        st.remote = std::move(remote);
        if (changed && st.setup.changed)
          st.setup.changed(catalog(self));
      },
      [=](actors::done_atom, uint64_t job, uint8_t code, std::string& json,
          std::string& message) {
        auto& st = self->state;
        auto i = st.pending.find(job);
        if (i == st.pending.end())
          return;
        auto pc = std::move(i->second);
        st.pending.erase(i);
        st.in_flight.erase(pc.key);
        auto ec = static_cast<error_code>(code);
        if (pc.counted) {
          st.setup.metrics->tool_duration(
              *pc.counted, std::chrono::duration<double>(
                               std::chrono::steady_clock::now() - pc.started)
                               .count());
          st.setup.metrics->tool_call(*pc.counted, ec);
        }
        if (ec == error_code::none)
          pc.promise.deliver(std::move(json));
        else
          pc.promise.deliver(make_error(ec, tools::valid_utf8(message)));
      },
  };
}

} // namespace switchboard::registry
