#pragma once

#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <caf/all.hpp>
#include <rapidjson/document.h>

#include "actors/interfaces.hpp"
#include "actors/system.hpp"
#include "protocol/json.hpp"

namespace switchboard::test {

/// A task event as received by a probe.
struct received_event {
  std::string task_id;
  uint64_t seq;
  std::string json;
  bool terminal;

  /// Returns the event's `type`.
  std::string type() const {
    rapidjson::Document doc;
    protocol::parse_json(json, doc);
    return doc["type"].GetString();
  }
};

/// A gap notice: events after `after` fell out of the log.
struct received_gap {
  std::string task_id;
  uint64_t after;
  std::string snapshot;
};

/// One page of the manager's task list and the cursor of the next one.
using task_page = std::pair<std::vector<protocol::task_info>, std::string>;

/// Everything a probe can receive.
using received =
    std::variant<received_event, actors::subscription, std::string,
                 actors::ok_atom, caf::error, protocol::task_info,
                 std::pair<std::string, actors::task_actor>,
                 std::vector<protocol::task_info>, task_page, received_gap,
                 std::vector<protocol::tool_info>, actors::task_actor>;

/// An actor system on CAF's deterministic test coordinator plus a scoped
/// actor that acts as client and event sink. Nothing here sleeps: time only
/// moves with `advance`.
class actor_fixture {
 public:
  actor_fixture() : sys_(cfg_), self_(sys_) {
    sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_.scheduler());
  }

  ~actor_fixture() {
    // Drain everything, including timers, so the system can shut down.
    for (int i = 0;
         i < 100 && (sched_->run() > 0 || sched_->trigger_timeouts() > 0); ++i)
      ;
  }

  /// Returns the actor system.
  caf::actor_system& sys() {
    return sys_;
  }

  /// Returns the client actor.
  caf::scoped_actor& self() {
    return self_;
  }

  /// Returns the client as an event sink.
  actors::event_sink sink() {
    return caf::actor_cast<actors::event_sink>(self_);
  }

  /// Runs every ready actor until all mailboxes are empty.
  void run() {
    sched_->run();
  }

  /// Moves virtual time forward by `d`, firing due timers, then runs.
  void advance(caf::timespan d) {
    sched_->advance_time(d);
    sched_->run();
  }

  /// Takes everything the client received so far, in order.
  std::vector<received> drain() {
    std::vector<received> out;
    bool more = true;
    while (more) {
      self_->receive(
          [&](actors::event_atom, std::string& id,
              std::vector<actors::event_frame>& fs, bool terminal) {
            for (size_t i = 0; i < fs.size(); ++i)
              out.emplace_back(received_event{id, fs[i].seq, *fs[i].data,
                                              terminal && i + 1 == fs.size()});
          },
          [&](actors::gap_atom, std::string& id, uint64_t after,
              std::string& snap) {
            out.emplace_back(received_gap{id, after, std::move(snap)});
          },
          [&](actors::subscription& s) { out.emplace_back(std::move(s)); },
          [&](std::string& s) { out.emplace_back(std::move(s)); },
          [&](actors::ok_atom a) { out.emplace_back(a); },
          [&](caf::error& e) { out.emplace_back(std::move(e)); },
          [&](protocol::task_info& i) { out.emplace_back(std::move(i)); },
          [&](std::string& id, actors::task_actor& t) {
            out.emplace_back(std::make_pair(std::move(id), std::move(t)));
          },
          [&](std::vector<protocol::task_info>& v) {
            out.emplace_back(std::move(v));
          },
          [&](std::vector<protocol::task_info>& v, std::string& next) {
            out.emplace_back(task_page{std::move(v), std::move(next)});
          },
          [&](std::vector<protocol::tool_info>& v) {
            out.emplace_back(std::move(v));
          },
          [&](actors::task_actor& t) { out.emplace_back(std::move(t)); },
          caf::after(std::chrono::seconds(0)) >> [&] { more = false; });
    }
    return out;
  }

  /// Takes the received events only, in order.
  std::vector<received_event> events() {
    std::vector<received_event> out;
    for (auto& r : drain())
      if (auto* e = std::get_if<received_event>(&r))
        out.push_back(std::move(*e));
    return out;
  }

 private:
  struct test_config : caf::actor_system_config {
    test_config() {
      actors::configure(*this);
      set("scheduler.policy", caf::atom("testing"));
      set("logger.console-verbosity", caf::atom("quiet"));
      set("logger.file-verbosity", caf::atom("quiet"));
    }
  };

  test_config cfg_;
  caf::actor_system sys_;
  caf::scoped_actor self_;
  caf::scheduler::test_coordinator* sched_;
};

/// Returns the single value of type T in `rs`, failing the test otherwise.
template<class T>
T only(const std::vector<received>& rs) {
  std::vector<T> found;
  for (auto& r : rs)
    if (auto* x = std::get_if<T>(&r))
      found.push_back(*x);
  if (found.size() != 1)
    throw std::runtime_error("expected exactly one value of the type, got " +
                             std::to_string(found.size()));
  return found.front();
}

/// Sorts what a probe received: events, live or in a subscription's
/// backlog, go into `log` by seq (`ended` is set when the terminal event or
/// an ended subscription came); returns the rest, subscriptions included.
inline std::vector<received> sort_events(std::vector<received> rs,
                                         std::map<uint64_t, std::string>& log,
                                         bool* ended = nullptr) {
  std::vector<received> others;
  for (auto& r : rs) {
    if (auto* e = std::get_if<received_event>(&r)) {
      log[e->seq] = e->json;
      if (ended && e->terminal)
        *ended = true;
      continue;
    }
    if (auto* sub = std::get_if<actors::subscription>(&r)) {
      for (auto& f : sub->backlog)
        log[f.seq] = *f.data;
      if (ended && sub->ended)
        *ended = true;
    }
    others.push_back(std::move(r));
  }
  return others;
}

/// Parses `json` (test helper).
inline rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  protocol::parse_json(json, doc);
  return doc;
}

} // namespace switchboard::test
