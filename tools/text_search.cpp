#include "tools/text_search.hpp"

#include <cerrno>
#include <string>
#include <variant>

#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/fs_tools.hpp"
#include "tools/workspace.hpp"

namespace fs = std::filesystem;
using switchboard::protocol::error_code;

namespace switchboard::tools {

namespace {

// Reads a whole regular file of known, bounded size; false on any error.
bool read_file(const fs::path& abs, uint64_t size, std::string& out) {
  int fd = ::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return false;
  out.resize(static_cast<size_t>(size));
  size_t got = 0;
  bool ok = true;
  while (got < out.size()) {
    auto n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      ok = false;
      break;
    }
    if (n == 0)
      break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return ok;
}

struct search_state {
  const RE2& re;
  const workspace& ws;
  uint64_t max_matches;
  uint64_t matches = 0;
  uint64_t files_searched = 0;
  bool truncated = false;
  rapidjson::Writer<rapidjson::StringBuffer>& w;

  // Returns false once more matches exist than the caller asked for.
  bool search(const fs::path& abs, const struct stat& st) {
    if (!S_ISREG(st.st_mode) ||
        static_cast<uint64_t>(st.st_size) > max_search_file_bytes)
      return true;
    std::string text;
    if (!read_file(abs, static_cast<uint64_t>(st.st_size), text))
      return true;
    if (looks_binary(text))
      return true;
    ++files_searched;
    auto rel = valid_utf8(ws.relative(abs));
    std::string_view rest{text};
    uint64_t line_no = 0;
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      auto line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view{}
                                          : rest.substr(nl + 1);
      ++line_no;
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      if (!RE2::PartialMatch(line, re))
        continue;
      if (matches == max_matches) {
        truncated = true;
        return false;
      }
      ++matches;
      w.StartObject();
      w.Key("path");
      w.String(rel);
      w.Key("line");
      w.Uint64(line_no);
      w.Key("text");
      w.String(valid_utf8(utf8_prefix(line, max_match_text_bytes)));
      w.EndObject();
    }
    return true;
  }
};

outcome run_search(const rapidjson::Value& args, const workspace& ws) {
  auto pattern = string_arg(args, "pattern", "");
  auto path = string_arg(args, "path", ".");
  auto max_matches = uint_arg(args, "max_matches", 100);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(!bool_arg(args, "case_insensitive", false));
  RE2 re{pattern, opts};
  if (!re.ok())
    return outcome::fail(error_code::invalid_args,
                         "invalid pattern: " + re.error());
  auto resolved = ws.resolve(path);
  if (auto* reason = std::get_if<std::string>(&resolved))
    return outcome::fail(error_code::invalid_args, *reason);
  auto& abs = std::get<fs::path>(resolved);
  struct stat st;
  if (::stat(abs.c_str(), &st) != 0)
    return outcome::fail(error_code::tool_failed,
                         path + ": cannot stat the path");
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("matches");
  w.StartArray();
  search_state s{re, ws, max_matches, 0, 0, false, w};
  if (S_ISDIR(st.st_mode)) {
    // The walk reports symlinks without following them, so a link out of
    // the workspace is never opened.
    auto err = walk(ws, abs, true,
                    [&](const walk_entry& e) { return s.search(e.abs, e.st); });
    if (!err.empty())
      return outcome::fail(error_code::tool_failed, err);
  } else if (S_ISREG(st.st_mode)) {
    s.search(abs, st);
  } else {
    return outcome::fail(error_code::invalid_args,
                         "not a file or directory: " + path);
  }
  w.EndArray();
  w.Key("files_searched");
  w.Uint64(s.files_searched);
  w.Key("truncated");
  w.Bool(s.truncated);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

} // namespace

tool text_search_tool() {
  tool t;
  t.name = "text.search";
  t.description = "Searches workspace text files line by line for an RE2 "
                  "regular expression.";
  t.schema = R"({"type":"object","properties":{)"
             R"("pattern":{"type":"string","minLength":1,"maxLength":4096},)"
             R"("path":{"type":"string","maxLength":4096},)"
             R"("max_matches":{"type":"integer","minimum":1,)"
             R"("maximum":10000},)"
             R"("case_insensitive":{"type":"boolean"}},)"
             R"("required":["pattern"],"additionalProperties":false})";
  t.blocking = true;
  t.run = run_search;
  return t;
}

} // namespace switchboard::tools
