#include "store/database.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <system_error>

namespace switchboard::store {

namespace {

// The migrations: entry N brings a file of version N to version N + 1.
const char* const migrations[] = {
    // 0 -> 1: tasks and their event logs.
    "CREATE TABLE tasks ("
    "  ordinal INTEGER PRIMARY KEY,"
    "  id TEXT NOT NULL UNIQUE,"
    "  kind TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  node TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  ended_ms INTEGER NOT NULL,"
    "  last_seq INTEGER NOT NULL,"
    "  outcome TEXT NOT NULL,"
    "  progress TEXT NOT NULL"
    ");"
    "CREATE INDEX tasks_by_owner ON tasks(owner, ordinal);"
    "CREATE INDEX tasks_by_end ON tasks(ended_ms);"
    // One row per task and commit: the events' types (space-separated) and
    // texts (each ended by a newline, which JSON text never holds raw).
    "CREATE TABLE event_blocks ("
    "  task_id TEXT NOT NULL,"
    "  first_seq INTEGER NOT NULL,"
    "  last_seq INTEGER NOT NULL,"
    "  types TEXT NOT NULL,"
    "  data BLOB NOT NULL,"
    "  PRIMARY KEY (task_id, first_seq)"
    ") WITHOUT ROWID;"
    // Written by the probe that tells whether the disk takes writes again.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);",
};

static_assert(std::size(migrations) == schema_version);

// A prepared statement, finalized on scope exit.
class statement {
 public:
  statement(sqlite3* db, const char* sql) {
    sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }

  ~statement() {
    sqlite3_finalize(stmt_);
  }

  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  explicit operator bool() const {
    return stmt_ != nullptr;
  }

  statement& text(int i, std::string_view s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);
    return *this;
  }

  statement& blob(int i, std::string_view s) {
    sqlite3_bind_blob(stmt_, i, s.data(), static_cast<int>(s.size()),
                      SQLITE_STATIC);
    return *this;
  }

  statement& integer(int i, int64_t x) {
    sqlite3_bind_int64(stmt_, i, x);
    return *this;
  }

  // Steps once: SQLITE_ROW, SQLITE_DONE or an error code.
  int step() {
    return sqlite3_step(stmt_);
  }

  // Rearms the statement for another run.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  // Steps to the end of a statement without rows, then rearms it.
  int run() {
    auto rc = sqlite3_step(stmt_);
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    return rc;
  }

  std::string column_text(int i) const {
    auto p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, i));
    return p ? std::string{p,
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, i))}
             : std::string{};
  }

  int64_t column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
  }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

task_row read_task(const statement& st) {
  task_row t;
  t.id = st.column_text(0);
  t.kind = st.column_text(1);
  t.params = st.column_text(2);
  t.owner = st.column_text(3);
  t.node = st.column_text(4);
  t.state = st.column_text(5);
  t.created_ms = st.column_int(6);
  t.ended_ms = st.column_int(7);
  t.last_seq = static_cast<uint64_t>(st.column_int(8));
  t.outcome = st.column_text(9);
  t.progress = st.column_text(10);
  t.ordinal = static_cast<uint64_t>(st.column_int(11));
  return t;
}

constexpr const char* task_columns = "id, kind, params, owner, node, state, "
                                     "created_ms, ended_ms, last_seq, "
                                     "outcome, progress, ordinal";

// As `task_columns`, without the large ones (params and outcome).
constexpr const char* list_columns = "id, kind, '', owner, node, state, "
                                     "created_ms, ended_ms, last_seq, '', "
                                     "progress, ordinal";

// Reads every row of `st` as a task into `out`; false when a step failed.
bool read_tasks(statement& st, std::vector<task_row>& out) {
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    out.push_back(read_task(st));
  return rc == SQLITE_DONE;
}

// Reads one integer from a pragma or query; nullopt when it fails (as
// reading any page of a file that is not a database does).
std::optional<int64_t> query_int(sqlite3* db, const char* sql) {
  statement st{db, sql};
  if (!st || st.step() != SQLITE_ROW)
    return std::nullopt;
  return st.column_int(0);
}

} // namespace

std::variant<std::unique_ptr<database>, std::string>
database::open(const std::filesystem::path& dir, durability d) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto path = dir / file_name;
  if (ec)
    return "cannot create the data directory " + dir.string() + ": " +
           ec.message() + "; create it or pass --data-dir=DIR";
  sqlite3* raw = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &raw,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                SQLITE_OPEN_FULLMUTEX,
                            nullptr);
  std::unique_ptr<database> db{new database(raw, path)};
  auto refuse = [&](const std::string& why, const std::string& fix) {
    return path.string() + ": " + why + "; " + fix;
  };
  if (rc != SQLITE_OK)
    return refuse(raw ? sqlite3_errmsg(raw) : "cannot open",
                  "check the permissions of the file and its directory, "
                  "or pass --data-dir=DIR");
  sqlite3_busy_timeout(raw, 5000);
  // Read before anything writes: a file that is not ours stays untouched.
  auto version = query_int(raw, "PRAGMA user_version");
  auto in_use = [&] {
    return refuse("is in use by another process",
                  "stop the other Switchboard that uses it, or pass another "
                  "--data-dir");
  };
  auto busy = [&] {
    auto rc = sqlite3_errcode(raw);
    return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
  };
  if (!version && busy())
    return in_use();
  if (!version)
    return refuse(std::string{"not a Switchboard database ("} +
                      sqlite3_errmsg(raw) + ")",
                  "move it away or pass another --data-dir; it was not "
                  "changed");
  if (*version > schema_version)
    return refuse("written by a newer Switchboard (schema version " +
                      std::to_string(*version) + ", this build knows " +
                      std::to_string(schema_version) + ")",
                  "run the newer build, or pass another --data-dir; it was "
                  "not changed");
  if (*version > 0) {
    statement check{raw, "PRAGMA quick_check"};
    auto result = check && check.step() == SQLITE_ROW ? check.column_text(0)
                                                      : std::string{"failed"};
    if (result != "ok" && busy())
      return in_use();
    if (result != "ok")
      return refuse("fails its integrity check (" + result + ")",
                    "restore it from a backup or move it away; it was not "
                    "changed");
  }
  if (*version < schema_version) {
    // Under the write lock (which writes nothing by itself), read again:
    // another process may have migrated the file meanwhile, and a version 0
    // file with tables is another program's, to be left as it is.
    auto err = db->exec("BEGIN IMMEDIATE");
    if (!err.empty() && busy())
      return in_use();
    auto v = err.empty() ? query_int(raw, "PRAGMA user_version")
                         : std::optional<int64_t>{};
    auto tables = err.empty() ? query_int(raw, "SELECT count(*) FROM "
                                               "sqlite_master")
                              : std::optional<int64_t>{};
    if (err.empty() && (!v || !tables))
      err = sqlite3_errmsg(raw);
    if (err.empty() && *v > schema_version) {
      db->exec("ROLLBACK");
      return refuse("written by a newer Switchboard (schema version " +
                        std::to_string(*v) + ")",
                    "run the newer build, or pass another --data-dir; it "
                    "was not changed");
    }
    if (err.empty() && *v == 0 && *tables > 0) {
      db->exec("ROLLBACK");
      return refuse("holds another program's tables",
                    "move it away or pass another --data-dir; it was not "
                    "changed");
    }
    for (auto at = v.value_or(0); err.empty() && at < schema_version; ++at) {
      err = db->exec(migrations[at]);
      if (err.empty())
        err =
            db->exec(("PRAGMA user_version=" + std::to_string(at + 1)).c_str());
    }
    if (err.empty())
      err = db->exec("COMMIT");
    if (!err.empty()) {
      db->exec("ROLLBACK");
      return refuse("cannot migrate to schema version " +
                        std::to_string(schema_version) + " (" + err + ")",
                    "check free space and permissions");
    }
  }
  {
    statement wal{raw, "PRAGMA journal_mode=WAL"};
    auto mode =
        wal && wal.step() == SQLITE_ROW ? wal.column_text(0) : std::string{};
    if (mode != "wal" && busy())
      return in_use();
    if (mode != "wal")
      return refuse("cannot switch to WAL (" +
                        (mode.empty() ? std::string{sqlite3_errmsg(raw)}
                                      : "journal mode " + mode) +
                        ")",
                    "check that the directory is writable and on a local "
                    "file system");
  }
  db->exec(d == durability::full ? "PRAGMA synchronous=FULL"
                                 : "PRAGMA synchronous=NORMAL");
  // One server per data directory: it holds the file for its whole life,
  // which also spares every transaction its lock and shared-memory calls.
  db->exec("PRAGMA locking_mode=EXCLUSIVE");
  // The pages of recent tasks stay cached between commits (16 MiB).
  db->exec("PRAGMA cache_size=-16384");
  // Checkpoints (which fsync) every 40 MB of WAL rather than every 4 MB;
  // the WAL is cut back to 64 MB after one.
  db->exec("PRAGMA wal_autocheckpoint=10000");
  db->exec("PRAGMA journal_size_limit=67108864");
  if (auto err = db->exec("BEGIN EXCLUSIVE"); !err.empty())
    return in_use();
  db->exec("COMMIT");
  db->events_ = static_cast<uint64_t>(
      query_int(raw, "SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM "
                     "event_blocks")
          .value_or(0));
  return db;
}

database::database(sqlite3* db, std::filesystem::path path)
    : db_(db), path_(std::move(path)) {}

database::~database() {
  cached_.reset();
  sqlite3_close_v2(db_);
}

std::string database::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK)
    return {};
  std::string err = msg ? msg : sqlite3_errmsg(db_);
  sqlite3_free(msg);
  return err;
}

struct database::cached {
  statement put_task;
  statement add_event;
  statement bump_seq;
  statement last_block;
  statement begin;
  statement commit;

  explicit cached(sqlite3* db)
      : put_task(db, "INSERT INTO tasks (id, kind, params, owner, node, "
                     "state, created_ms, ended_ms, last_seq, outcome, "
                     "progress, ordinal) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                     "?8, ?9, ?10, ?11, ?12) ON CONFLICT (id) DO UPDATE SET "
                     "state = excluded.state, ended_ms = excluded.ended_ms, "
                     "last_seq = max(last_seq, excluded.last_seq), "
                     "outcome = excluded.outcome, "
                     "progress = excluded.progress"),
        add_event(db, "INSERT INTO event_blocks (task_id, first_seq, "
                      "last_seq, types, data) VALUES (?1, ?2, ?3, ?4, ?5)"),
        bump_seq(db, "UPDATE tasks SET last_seq = ?2 WHERE id = ?1 AND "
                     "last_seq < ?2"),
        last_block(db, "SELECT last_seq FROM event_blocks WHERE task_id = ?1 "
                       "AND first_seq <= ?2 ORDER BY first_seq DESC LIMIT 1"),
        begin(db, "BEGIN IMMEDIATE"),
        commit(db, "COMMIT") {}
};

void batch::add(const std::string& task, uint64_t seq, std::string_view type,
                std::string data) {
  if (events.empty() || events.back().first != task)
    events.emplace_back(task, std::vector<new_event>{});
  events.back().second.push_back(new_event{
      seq, type, std::make_shared<const std::string>(std::move(data))});
}

std::string database::write(const batch& b) {
  if (!cached_)
    cached_ = std::make_unique<cached>(db_);
  auto& c = *cached_;
  if (!c.put_task || !c.add_event || !c.bump_seq || !c.last_block || !c.begin ||
      !c.commit)
    return sqlite3_errmsg(db_);
  // Prepared once: parsing BEGIN and COMMIT is a measurable part of a small
  // commit.
  if (c.begin.run() != SQLITE_DONE)
    return sqlite3_errmsg(db_);
  auto fail = [this](statement& st) {
    std::string err = sqlite3_errmsg(db_);
    st.reset();
    exec("ROLLBACK");
    return err;
  };
  uint64_t new_events = 0;
  for (auto& t : b.tasks) {
    c.put_task.text(1, t.id)
        .text(2, t.kind)
        .text(3, t.params)
        .text(4, t.owner)
        .text(5, t.node)
        .text(6, t.state)
        .integer(7, t.created_ms)
        .integer(8, t.ended_ms)
        .integer(9, static_cast<int64_t>(t.last_seq))
        .text(10, t.outcome)
        .text(11, t.progress);
    // Ordinal 0: the next free one.
    if (t.ordinal > 0)
      c.put_task.integer(12, static_cast<int64_t>(t.ordinal));
    if (c.put_task.run() != SQLITE_DONE)
      return fail(c.put_task);
  }
  std::string types;
  std::string data;
  for (auto& [task_id, events] : b.events) {
    if (events.empty())
      continue;
    types.clear();
    data.clear();
    size_t bytes = 0;
    for (auto& e : events)
      bytes += e.data->size() + 1;
    data.reserve(bytes);
    for (auto& e : events) {
      if (!types.empty())
        types += ' ';
      types += e.type;
      data += *e.data;
      data += '\n';
    }
    // A seq is stored once: a block must not overlap the one before it.
    c.last_block.text(1, task_id)
        .integer(2, static_cast<int64_t>(events.back().seq));
    auto rc = c.last_block.step();
    auto overlaps =
        rc == SQLITE_ROW &&
        static_cast<uint64_t>(c.last_block.column_int(0)) >= events.front().seq;
    c.last_block.reset();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      return fail(c.last_block);
    if (overlaps) {
      exec("ROLLBACK");
      return "task " + task_id + " has seq " +
             std::to_string(events.front().seq) + " stored already";
    }
    c.add_event.text(1, task_id)
        .integer(2, static_cast<int64_t>(events.front().seq))
        .integer(3, static_cast<int64_t>(events.back().seq))
        .text(4, types)
        .blob(5, data);
    if (c.add_event.run() != SQLITE_DONE)
      return fail(c.add_event);
    new_events += events.size();
    c.bump_seq.text(1, task_id)
        .integer(2, static_cast<int64_t>(events.back().seq));
    if (c.bump_seq.run() != SQLITE_DONE)
      return fail(c.bump_seq);
  }
  if (c.commit.run() != SQLITE_DONE) {
    std::string err = sqlite3_errmsg(db_);
    exec("ROLLBACK");
    return err;
  }
  events_ += new_events;
  return {};
}

std::optional<task_row> database::task(const std::string& id) {
  statement st{
      db_, (std::string{"SELECT "} + task_columns + " FROM tasks WHERE id = ?1")
               .c_str()};
  if (!st || st.text(1, id).step() != SQLITE_ROW)
    return std::nullopt;
  return read_task(st);
}

std::optional<std::vector<event_row>>
database::events_after(const std::string& id, uint64_t after, size_t limit) {
  std::vector<event_row> out;
  int rc = SQLITE_DONE;
  // From the block that holds seq after + 1 (found through the key).
  statement st{db_, "SELECT first_seq, types, data FROM event_blocks WHERE "
                    "task_id = ?1 AND first_seq >= coalesce((SELECT "
                    "max(first_seq) FROM event_blocks WHERE task_id = ?1 AND "
                    "first_seq <= ?2 + 1), 0) ORDER BY first_seq"};
  if (!st)
    return failed();
  st.text(1, id).integer(2, static_cast<int64_t>(after));
  while (out.size() < limit && (rc = st.step()) == SQLITE_ROW) {
    auto seq = static_cast<uint64_t>(st.column_int(0));
    auto types = st.column_text(1);
    auto data = st.column_text(2);
    size_t t = 0, d = 0;
    for (; d < data.size() && out.size() < limit; ++seq) {
      auto t_end = types.find(' ', t);
      if (t_end == std::string::npos)
        t_end = types.size();
      auto d_end = data.find('\n', d);
      if (d_end == std::string::npos)
        d_end = data.size();
      if (seq > after)
        out.push_back(event_row{seq, types.substr(t, t_end - t),
                                data.substr(d, d_end - d)});
      t = t_end + 1;
      d = d_end + 1;
    }
  }
  // An error ends the rows too: a replay must not end early unnoticed.
  if (out.size() < limit && rc != SQLITE_DONE)
    return failed();
  return out;
}

std::optional<std::vector<task_row>> database::unfinished() {
  std::vector<task_row> out;
  statement st{db_, (std::string{"SELECT "} + task_columns +
                     " FROM tasks WHERE state NOT IN ('completed', "
                     "'failed', 'cancelled') ORDER BY created_ms")
                        .c_str()};
  if (!st || !read_tasks(st, out))
    return failed();
  return out;
}

std::optional<std::vector<task_row>> database::list(const task_query& q) {
  auto& f = q.filter;
  std::string sql = std::string{"SELECT "} + list_columns +
                    " FROM tasks WHERE owner = ?1 AND created_ms >= ?2 AND "
                    "created_ms < ?3";
  if (!f.kind.empty())
    sql += " AND kind = ?4";
  if (q.before)
    sql += " AND ordinal < ?5";
  if (!f.states.empty()) {
    sql += " AND state IN (";
    for (size_t i = 0; i < f.states.size(); ++i)
      sql += (i ? ", ?" : "?") + std::to_string(10 + i);
    sql += ")";
  }
  sql += " ORDER BY ordinal DESC LIMIT ?7";
  statement st{db_, sql.c_str()};
  if (!st)
    return failed();
  st.text(1, q.owner).integer(2, f.since_ms).integer(3, f.until_ms);
  if (!f.kind.empty())
    st.text(4, f.kind);
  if (q.before)
    st.integer(5, static_cast<int64_t>(*q.before));
  for (size_t i = 0; i < f.states.size(); ++i)
    st.text(static_cast<int>(10 + i), f.states[i]);
  st.integer(7, static_cast<int64_t>(q.limit));
  std::vector<task_row> out;
  if (!read_tasks(st, out))
    return failed();
  return out;
}

std::optional<expired> database::expire(int64_t cutoff_ms, uint64_t max_tasks,
                                        size_t chunk) {
  std::vector<std::string> ids;
  {
    statement old{db_, "SELECT id FROM tasks WHERE ended_ms > 0 AND "
                       "ended_ms < ?1 LIMIT ?2"};
    if (!old)
      return failed();
    old.integer(1, cutoff_ms).integer(2, static_cast<int64_t>(chunk));
    int rc;
    while ((rc = old.step()) == SQLITE_ROW)
      ids.push_back(old.column_text(0));
    if (rc != SQLITE_DONE)
      return failed();
  }
  if (ids.size() < chunk) {
    auto count = query_int(db_, "SELECT count(*) FROM tasks");
    if (!count)
      return failed();
    auto excess = static_cast<uint64_t>(*count) - ids.size();
    if (excess > max_tasks) {
      // The oldest finished ones beyond the cap (running tasks stay).
      statement oldest{db_, "SELECT id FROM tasks WHERE ended_ms > 0 AND "
                            "ended_ms >= ?1 ORDER BY ordinal LIMIT ?2"};
      if (!oldest)
        return failed();
      oldest.integer(1, cutoff_ms)
          .integer(2, static_cast<int64_t>(std::min<uint64_t>(
                          excess - max_tasks, chunk - ids.size())));
      int rc;
      while ((rc = oldest.step()) == SQLITE_ROW)
        ids.push_back(oldest.column_text(0));
      if (rc != SQLITE_DONE)
        return failed();
    }
  }
  expired out;
  if (ids.empty())
    return out;
  if (auto err = exec("BEGIN IMMEDIATE"); !err.empty()) {
    last_error_ = err;
    return std::nullopt;
  }
  statement count_events{db_, "SELECT coalesce(sum(last_seq - first_seq + "
                              "1), 0) FROM event_blocks WHERE task_id = ?1"};
  statement del_events{db_, "DELETE FROM event_blocks WHERE task_id = ?1"};
  statement del_task{db_, "DELETE FROM tasks WHERE id = ?1"};
  if (!count_events || !del_events || !del_task) {
    failed();
    exec("ROLLBACK");
    return std::nullopt;
  }
  for (auto& id : ids) {
    count_events.text(1, id);
    if (count_events.step() == SQLITE_ROW)
      out.events += static_cast<uint64_t>(count_events.column_int(0));
    count_events.reset();
    if (del_events.text(1, id).run() != SQLITE_DONE) {
      failed();
      exec("ROLLBACK");
      return std::nullopt;
    }
    if (del_task.text(1, id).run() != SQLITE_DONE) {
      failed();
      exec("ROLLBACK");
      return std::nullopt;
    }
    out.tasks += static_cast<uint64_t>(sqlite3_changes(db_));
  }
  if (auto err = exec("COMMIT"); !err.empty()) {
    exec("ROLLBACK");
    last_error_ = err;
    return std::nullopt;
  }
  events_ -= std::min(events_, out.events);
  return out;
}

std::string database::probe(int64_t now_ms, uint64_t min_free) {
  statement st{db_, "INSERT OR REPLACE INTO meta (key, value) VALUES "
                    "('probe', ?1)"};
  if (!st)
    return sqlite3_errmsg(db_);
  // Bound without a copy: the text must outlive the step.
  auto value = std::to_string(now_ms);
  st.text(1, value);
  if (st.run() != SQLITE_DONE)
    return sqlite3_errmsg(db_);
  // A failed transaction leaves its pages in the WAL for the next one to
  // reuse, so one small row fits even on a disk that is still full.
  std::error_code ec;
  auto space = std::filesystem::space(path_.parent_path(), ec);
  if (ec)
    return ec.message();
  if (space.available < min_free)
    return std::to_string(space.available) + " bytes free, " +
           std::to_string(min_free) + " wanted";
  return {};
}

uint64_t database::max_ordinal() {
  return static_cast<uint64_t>(
      query_int(db_, "SELECT coalesce(max(ordinal), 0) FROM tasks")
          .value_or(0));
}

sizes database::size() {
  sizes out;
  auto pages = query_int(db_, "PRAGMA page_count");
  auto page_size = query_int(db_, "PRAGMA page_size");
  if (pages && page_size)
    out.bytes = static_cast<uint64_t>(*pages * *page_size);
  std::error_code ec;
  auto wal = std::filesystem::file_size(path_.string() + "-wal", ec);
  if (!ec)
    out.bytes += wal;
  out.tasks = static_cast<uint64_t>(
      query_int(db_, "SELECT count(*) FROM tasks").value_or(0));
  out.events = events_;
  return out;
}

std::nullopt_t database::failed() {
  last_error_ = sqlite3_errmsg(db_);
  return std::nullopt;
}

} // namespace switchboard::store
