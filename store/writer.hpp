#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "store/database.hpp"

// A batch shares its events' text with the tasks' logs and a query is
// answered on this node: both stay within the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::store::batch)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::store::task_query)

namespace switchboard::store {

/// Hands a batch to the writer.
using append_atom = caf::atom_constant<caf::atom("sbappend")>;
/// Internal: commits what was appended since the last commit.
using commit_atom = caf::atom_constant<caf::atom("sbcommit")>;
/// Reads a task's stored events.
using read_atom = caf::atom_constant<caf::atom("sbread")>;
/// Reads a task's record.
using record_atom = caf::atom_constant<caf::atom("sbrecord")>;
/// Queries the task history.
using query_atom = caf::atom_constant<caf::atom("sbquery")>;
/// Internal: time for retention and the size gauges.
using tidy_atom = caf::atom_constant<caf::atom("sbtidy")>;

/// CAF inspection for `task_row`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_row& x) {
  return f(caf::meta::type_name("task_row"), x.id, x.kind, x.params, x.owner,
           x.node, x.state, x.created_ms, x.ended_ms, x.last_seq, x.outcome,
           x.progress, x.ordinal);
}

/// CAF inspection for `event_row`.
template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_row& x) {
  return f(caf::meta::type_name("event_row"), x.seq, x.type, x.data);
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
    // Answers a task's record (none when it is not stored).
    caf::replies_to<record_atom, std::string>::with<std::vector<task_row>>,
    // Answers the tasks a query selects, newest first.
    caf::replies_to<query_atom, task_query>::with<std::vector<task_row>>,
    caf::reacts_to<commit_atom>, caf::reacts_to<tidy_atom>>;

/// What the writer reports, on its own thread (for metrics and readiness).
struct writer_hooks {
  /// A commit ended: events and task records in it, how long it took, and
  /// whether it succeeded.
  std::function<void(size_t events, size_t tasks, std::chrono::nanoseconds,
                     bool ok)>
      committed;
  /// Retention removed tasks and events.
  std::function<void(const expired&)> expired;
  /// The history's sizes, after each tidy-up.
  std::function<void(const sizes&)> sized;
};

/// Everything the writer is created with.
struct writer_setup {
  /// The database.
  std::shared_ptr<database> db;
  /// Finished tasks older than this are deleted.
  std::chrono::milliseconds retention{7 * 24 * 3600 * 1000LL};
  /// Finished tasks beyond this many are deleted, oldest first.
  uint64_t max_tasks = 100000;
  /// How often retention runs and the gauges are read (0: never).
  std::chrono::milliseconds tidy_interval{10000};
  /// Tasks deleted per transaction, so that appends wait little.
  size_t tidy_chunk = 256;
  /// After a failed commit, the history counts as writable again only when
  /// its file system has this many bytes free.
  uint64_t min_free_bytes = 16 * 1024 * 1024;
  /// Returns the wall-clock time in ms since the epoch.
  std::function<int64_t()> now_ms;
  /// What the writer reports.
  writer_hooks hooks;
};

/// State of the writer.
struct writer_state {
  /// What it was created with.
  writer_setup setup;
  /// What was appended since the last commit.
  batch pending;
  /// Who waits for that commit.
  std::vector<caf::typed_response_promise<std::string>> waiting;
  /// True while a commit message is on its way.
  bool commit_scheduled = false;
  /// Commits so far (one per group).
  uint64_t commits = 0;
  /// Whether the last commit succeeded.
  bool writable = true;

  static inline const char* name = "store_writer";
};

/// Spawn function of the writer. Group commit: every append queued behind
/// the first one of a group joins its transaction, which runs when the
/// writer reaches the commit message it sent itself after that first one.
/// Retention deletes a chunk per message, so commits run in between.
writer_actor::behavior_type
writer(writer_actor::stateful_pointer<writer_state> self, writer_setup setup);

} // namespace switchboard::store
