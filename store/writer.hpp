#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "store/database.hpp"

namespace switchboard::store {

/// Hands a batch to the writer.
using append_atom = caf::atom_constant<caf::atom("sbappend")>;
/// Internal: commits what was appended since the last commit.
using commit_atom = caf::atom_constant<caf::atom("sbcommit")>;
/// Reads a task's stored events.
using read_atom = caf::atom_constant<caf::atom("sbread")>;

/// CAF inspection for `task_row`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_row& x) {
  return f(caf::meta::type_name("task_row"), x.id, x.kind, x.params, x.owner,
           x.node, x.state, x.created_ms, x.ended_ms, x.last_seq);
}

/// CAF inspection for `event_row`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_row& x) {
  return f(caf::meta::type_name("event_row"), x.seq, x.type, x.data);
}

/// CAF inspection for `batch`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch& x) {
  return f(caf::meta::type_name("batch"), x.tasks, x.events);
}

/// The history's writer. It owns the database; the server spawns it
/// `detached`, so that SQLite's writes and fsyncs run on a thread of their
/// own, never on the actor scheduler's.
using writer_actor = caf::typed_actor<
    // Appends a batch; answers "" once the commit that holds it is done, or
    // why that commit failed (nothing of the group is stored then).
    caf::replies_to<append_atom, batch>::with<std::string>,
    // Answers a task's events with seq greater than the first number, at
    // most the second number of them, in seq order.
    caf::replies_to<read_atom, std::string, uint64_t,
                    uint64_t>::with<std::vector<event_row>>,
    caf::reacts_to<commit_atom>>;

/// State of the writer.
struct writer_state {
  /// The database.
  std::shared_ptr<database> db;
  /// What was appended since the last commit.
  batch pending;
  /// Who waits for that commit.
  std::vector<caf::typed_response_promise<std::string>> waiting;
  /// True while a commit message is on its way.
  bool commit_scheduled = false;
  /// Commits so far (one per group).
  uint64_t commits = 0;

  static inline const char* name = "store_writer";
};

/// Spawn function of the writer. Group commit: every append queued behind
/// the first one of a group joins its transaction, which runs when the
/// writer reaches the commit message it sent itself after that first one.
writer_actor::behavior_type
writer(writer_actor::stateful_pointer<writer_state> self,
       std::shared_ptr<database> db);

} // namespace switchboard::store
