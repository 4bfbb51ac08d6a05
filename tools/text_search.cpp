#include "tools/text_search.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <variant>

#include <fcntl.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <re2/re2.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/fs_tools.hpp"
#include "tools/names.hpp"
#include "tools/workspace.hpp"

using switchboard::protocol::error_code;

namespace switchboard::tools {

namespace {

constexpr size_t read_chunk_bytes = 64 * 1024;

struct search_state {
  const RE2& re;
  const cancel_token& token;
  uint64_t max_matches;
  rapidjson::Writer<rapidjson::StringBuffer>& w;
  skip_list& skipped;
  uint64_t matches = 0;
  uint64_t files_searched = 0;
  uint64_t bytes_read = 0;
  bool truncated = false;

  // Returns false once the search must end: enough matches, the byte limit
  // of the call, or cancellation.
  bool search(int dir_fd, const char* name, const std::string& rel,
              const struct stat& st) {
    if (S_ISDIR(st.st_mode))
      return true;
    if (S_ISLNK(st.st_mode)) {
      skipped.add(rel, "symlink, not followed");
      return true;
    }
    if (!S_ISREG(st.st_mode)) {
      skipped.add(rel, "not a regular file");
      return true;
    }
    auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_search_file_bytes) {
      skipped.add(rel, "larger than " + std::to_string(max_search_file_bytes) +
                           " bytes");
      return true;
    }
    if (bytes_read + size > token.max_bytes()) {
      truncated = true;
      skipped.add(rel, "the call reached its limit of " +
                           std::to_string(token.max_bytes()) +
                           " bytes read (server option --tool-max-bytes)");
      return false;
    }
    unique_fd fd{
        ::openat(dir_fd, name,
                 O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC)};
    if (!fd) {
      skipped.add(rel, std::string{"cannot open: "} + std::strerror(errno));
      return true;
    }
    return search_open(fd.get(), rel, size);
  }

  // Searches an open regular file of `size` bytes.
  bool search_open(int fd, const std::string& rel, uint64_t size) {
    std::string text(static_cast<size_t>(size), '\0');
    size_t got = 0;
    while (got < text.size()) {
      if (token.cancelled())
        return false;
      auto n = ::read(fd, text.data() + got,
                      std::min(read_chunk_bytes, text.size() - got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        skipped.add(rel, std::string{"read error: "} + std::strerror(errno));
        return true;
      }
      if (n == 0)
        break;
      got += static_cast<size_t>(n);
    }
    text.resize(got);
    bytes_read += got;
    if (looks_binary(text)) {
      skipped.add(rel, "binary file");
      return true;
    }
    ++files_searched;
    auto shown = encode_name(rel);
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
      w.String(shown);
      w.Key("line");
      w.Uint64(line_no);
      w.Key("text");
      w.String(valid_utf8(utf8_prefix(line, max_match_text_bytes)));
      w.EndObject();
    }
    return true;
  }
};

outcome run_search(const rapidjson::Value& args, const workspace& ws,
                   const cancel_token& token) {
  auto pattern = string_arg(args, "pattern", "");
  auto path = string_arg(args, "path", ".");
  auto max_matches = uint_arg(args, "max_matches", 100);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_case_sensitive(!bool_arg(args, "case_insensitive", false));
  RE2 re{pattern, opts};
  if (!re.ok())
    return outcome::fail(error_code::invalid_args,
                         "invalid pattern: " + valid_utf8(re.error()));
  auto rel = normalize_relative(path);
  auto opened = ws.open_beneath(path, O_PATH);
  if (auto* err = std::get_if<open_error>(&opened))
    return open_failure(*err);
  auto& handle = std::get<unique_fd>(opened);
  struct stat st;
  if (::fstat(handle.get(), &st) != 0)
    return outcome::fail(error_code::tool_failed, io_error(rel, errno));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("matches");
  w.StartArray();
  skip_list skipped;
  search_state s{re, token, max_matches, w, skipped};
  if (S_ISDIR(st.st_mode)) {
    unique_fd dir{
        ::openat(handle.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (!dir)
      return outcome::fail(error_code::tool_failed, io_error(rel, errno));
    // The walk reports symlinks without following them, and files are
    // opened relative to their directory's descriptor.
    auto err =
        walk(dir.get(), rel, true, token, skipped, [&](const walk_entry& e) {
          return s.search(e.dir_fd, e.name.c_str(), e.rel, e.st);
        });
    if (!err.empty() && !token.cancelled())
      return outcome::fail(error_code::tool_failed, err);
  } else if (S_ISREG(st.st_mode)) {
    // Opened again for reading; the O_PATH handle only told the type.
    auto file = ws.open_beneath(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (auto* err = std::get_if<open_error>(&file))
      return outcome::fail(error_code::tool_failed, err->message);
    auto& fd = std::get<unique_fd>(file);
    struct stat again;
    if (::fstat(fd.get(), &again) != 0 || !S_ISREG(again.st_mode))
      return outcome::fail(error_code::tool_failed,
                           encode_name(rel) + ": changed while opening it");
    auto size = static_cast<uint64_t>(again.st_size);
    if (size > max_search_file_bytes)
      skipped.add(rel, "larger than " + std::to_string(max_search_file_bytes) +
                           " bytes");
    else if (size > token.max_bytes())
      skipped.add(rel, "the call reached its limit of " +
                           std::to_string(token.max_bytes()) +
                           " bytes read (server option --tool-max-bytes)");
    else
      s.search_open(fd.get(), rel, size);
  } else {
    return outcome::fail(error_code::invalid_args,
                         "not a file or directory: " + encode_name(rel));
  }
  if (token.cancelled())
    return token.stopped();
  w.EndArray();
  w.Key("files_searched");
  w.Uint64(s.files_searched);
  w.Key("truncated");
  w.Bool(s.truncated);
  skipped.write(w);
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
             R"("pattern":{"type":"string","minLength":1,"maxLength":4096,)"
             R"("description":"Regular expression (RE2 syntax)."},)"
             R"("path":{"type":"string","maxLength":4096,"default":".",)"
             R"("description":"File or directory to search, relative )"
             R"(to the workspace."},)"
             R"("max_matches":{"type":"integer","minimum":1,)"
             R"("maximum":10000,"default":100,)"
             R"("description":"Most matching lines to return."},)"
             R"("case_insensitive":{"type":"boolean","default":false,)"
             R"("description":"Match letters in either case."}},)"
             R"("required":["pattern"],"additionalProperties":false})";
  t.blocking = true;
  t.run = run_search;
  return t;
}

} // namespace switchboard::tools
