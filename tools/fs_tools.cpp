#include "tools/fs_tools.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <variant>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include "tools/names.hpp"
#include "tools/workspace.hpp"

using switchboard::protocol::error_code;

namespace switchboard::tools {

namespace {

constexpr size_t chunk_bytes = 64 * 1024;

// Opens a path for reading without blocking on FIFOs; checks that it is a
// regular file.
std::variant<unique_fd, outcome> open_regular(const workspace& ws,
                                              const std::string& path,
                                              const std::string& rel,
                                              struct stat& st) {
  auto opened = ws.open_beneath(path, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (auto* err = std::get_if<open_error>(&opened))
    return open_failure(*err);
  auto fd = std::get<unique_fd>(std::move(opened));
  if (::fstat(fd.get(), &st) != 0)
    return outcome::fail(error_code::tool_failed, io_error(rel, errno));
  if (!S_ISREG(st.st_mode))
    return outcome::fail(error_code::invalid_args,
                         "not a regular file: " + encode_name(rel));
  return fd;
}

const char* type_name(mode_t mode) {
  if (S_ISREG(mode))
    return "file";
  if (S_ISDIR(mode))
    return "dir";
  if (S_ISLNK(mode))
    return "symlink";
  return "other";
}

outcome run_list(const rapidjson::Value& args, const workspace& ws,
                 const cancel_token& token) {
  auto path = string_arg(args, "path", ".");
  bool recursive = bool_arg(args, "recursive", false);
  auto max_entries = uint_arg(args, "max_entries", 1000);
  auto rel = normalize_relative(path);
  // O_PATH first: the kernel must not open a device or FIFO we only list.
  auto opened = ws.open_beneath(path, O_PATH);
  if (auto* err = std::get_if<open_error>(&opened))
    return open_failure(*err);
  struct stat st;
  auto& handle = std::get<unique_fd>(opened);
  if (::fstat(handle.get(), &st) != 0)
    return outcome::fail(error_code::tool_failed, io_error(rel, errno));
  if (!S_ISDIR(st.st_mode))
    return outcome::fail(error_code::invalid_args,
                         "not a directory: " + encode_name(rel));
  unique_fd dir{
      ::openat(handle.get(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!dir)
    return outcome::fail(error_code::tool_failed, io_error(rel, errno));
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("path");
  w.String(encode_name(rel));
  w.Key("entries");
  w.StartArray();
  uint64_t count = 0;
  bool truncated = false;
  skip_list skipped;
  auto err =
      walk(dir.get(), rel, recursive, token, skipped, [&](const walk_entry& e) {
        if (count == max_entries) {
          truncated = true;
          return false;
        }
        ++count;
        w.StartObject();
        w.Key("path");
        w.String(encode_name(e.rel));
        w.Key("size");
        w.Uint64(S_ISDIR(e.st.st_mode) ? 0
                                       : static_cast<uint64_t>(e.st.st_size));
        w.Key("mode");
        w.String(mode_string(e.st.st_mode));
        w.Key("type");
        w.String(type_name(e.st.st_mode));
        w.EndObject();
        return true;
      });
  if (token.cancelled())
    return token.stopped();
  if (!err.empty())
    return outcome::fail(error_code::tool_failed, err);
  w.EndArray();
  w.Key("truncated");
  w.Bool(truncated);
  skipped.write(w);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

outcome run_read(const rapidjson::Value& args, const workspace& ws,
                 const cancel_token& token) {
  auto path = string_arg(args, "path", "");
  auto offset = uint_arg(args, "offset", 0);
  auto max_bytes =
      std::min(uint_arg(args, "max_bytes", 65536), token.max_bytes());
  auto rel = normalize_relative(path);
  struct stat st;
  auto opened = open_regular(ws, path, rel, st);
  if (auto* failed = std::get_if<outcome>(&opened))
    return std::move(*failed);
  auto fd = std::get<unique_fd>(std::move(opened));
  auto size = static_cast<uint64_t>(st.st_size);
  std::string data;
  if (offset < size) {
    data.resize(static_cast<size_t>(std::min(max_bytes, size - offset)));
    size_t got = 0;
    while (got < data.size()) {
      if (token.cancelled())
        return token.stopped();
      auto want = std::min(data.size() - got, chunk_bytes);
      auto n = ::pread(fd.get(), data.data() + got, want,
                       static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return outcome::fail(error_code::tool_failed, io_error(rel, errno));
      if (n == 0)
        break;
      got += static_cast<size_t>(n);
    }
    data.resize(got);
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("path");
  w.String(encode_name(rel));
  w.Key("size");
  w.Uint64(size);
  w.Key("offset");
  w.Uint64(offset);
  w.Key("data");
  w.String(valid_utf8(data));
  w.Key("truncated");
  w.Bool(offset + data.size() < size);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

std::string limit_message(const char* tool, const std::string& rel,
                          uint64_t limit) {
  return std::string{tool} + ": " + encode_name(rel) + " is larger than the " +
         std::to_string(limit) +
         " bytes one call may read (server option --tool-max-bytes)";
}

outcome run_hash(const rapidjson::Value& args, const workspace& ws,
                 const cancel_token& token) {
  auto path = string_arg(args, "path", "");
  auto rel = normalize_relative(path);
  struct stat st;
  auto opened = open_regular(ws, path, rel, st);
  if (auto* failed = std::get_if<outcome>(&opened))
    return std::move(*failed);
  auto fd = std::get<unique_fd>(std::move(opened));
  auto limit = token.max_bytes();
  if (static_cast<uint64_t>(st.st_size) > limit)
    return outcome::fail(error_code::tool_failed,
                         limit_message("fs.hash", rel, limit));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return outcome::fail(error_code::tool_failed, "cannot initialize SHA-256");
  std::vector<unsigned char> chunk(chunk_bytes);
  uint64_t size = 0;
  for (;;) {
    if (token.cancelled())
      return token.stopped();
    auto n = ::read(fd.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return outcome::fail(error_code::tool_failed, io_error(rel, errno));
    if (n == 0)
      break;
    size += static_cast<uint64_t>(n);
    // The file grew after fstat: the limit still holds.
    if (size > limit)
      return outcome::fail(error_code::tool_failed,
                           limit_message("fs.hash", rel, limit));
    EVP_DigestUpdate(ctx.get(), chunk.data(), static_cast<size_t>(n));
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &md_len) != 1)
    return outcome::fail(error_code::tool_failed, "SHA-256 failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string digest;
  for (unsigned i = 0; i < md_len; ++i) {
    digest += hex[md[i] >> 4];
    digest += hex[md[i] & 0xF];
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("path");
  w.String(encode_name(rel));
  w.Key("size");
  w.Uint64(size);
  w.Key("sha256");
  w.String(digest);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

// Reads the names in an open directory, sorted; errno on failure.
std::variant<std::vector<std::string>, int> read_names(int dir_fd) {
  // fdopendir takes the descriptor it is given; the caller keeps its own.
  int copy = ::fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0)
    return errno;
  DIR* d = ::fdopendir(copy);
  if (!d) {
    auto err = errno;
    ::close(copy);
    return err;
  }
  std::vector<std::string> names;
  errno = 0;
  while (auto* e = ::readdir(d)) {
    std::string_view name{e->d_name};
    if (name != "." && name != "..")
      names.emplace_back(name);
    errno = 0;
  }
  auto err = errno;
  ::closedir(d);
  if (err != 0)
    return err;
  std::sort(names.begin(), names.end());
  return names;
}

} // namespace

outcome open_failure(const open_error& err) {
  return outcome::fail(err.bad_path() ? error_code::invalid_args
                                      : error_code::tool_failed,
                       err.message);
}

std::string valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    auto n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string_view utf8_prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes)
    return text;
  auto cut = max_bytes;
  // Step back over continuation bytes so the cut lands on a lead byte.
  for (int k = 0; k < 3 && cut > 0; ++k) {
    if ((static_cast<unsigned char>(text[cut]) & 0xC0) != 0x80)
      break;
    --cut;
  }
  return text.substr(0, cut);
}

bool looks_binary(std::string_view head) {
  return head.substr(0, binary_probe_bytes).find('\0') !=
         std::string_view::npos;
}

std::string mode_string(mode_t mode) {
  std::string out(4, '0');
  auto bits = static_cast<unsigned>(mode & 07777);
  for (int i = 3; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>('0' + (bits & 7));
    bits >>= 3;
  }
  return out;
}

void skip_list::add(std::string rel, std::string reason) {
  if (items_.size() < max_skipped_entries)
    items_.emplace_back(std::move(rel), std::move(reason));
  else
    ++omitted_;
}

void skip_list::write(rapidjson::Writer<rapidjson::StringBuffer>& w) const {
  w.Key("skipped");
  w.StartArray();
  for (auto& [rel, reason] : items_) {
    w.StartObject();
    w.Key("path");
    w.String(encode_name(rel));
    w.Key("reason");
    w.String(valid_utf8(reason));
    w.EndObject();
  }
  w.EndArray();
  if (omitted_ > 0) {
    w.Key("skipped_omitted");
    w.Uint64(omitted_);
  }
}

std::string normalize_relative(std::string_view path) {
  auto bytes = decode_name(path);
  std::string out;
  size_t pos = 0;
  while (pos <= bytes.size()) {
    auto slash = bytes.find('/', pos);
    if (slash == std::string::npos)
      slash = bytes.size();
    auto part = std::string_view{bytes}.substr(pos, slash - pos);
    if (!part.empty() && part != ".") {
      if (!out.empty())
        out += '/';
      out.append(part);
    }
    pos = slash + 1;
  }
  return out.empty() ? "." : out;
}

std::string join_relative(const std::string& dir_rel, std::string_view name) {
  if (dir_rel.empty() || dir_rel == ".")
    return std::string{name};
  std::string out;
  out.reserve(dir_rel.size() + 1 + name.size());
  out += dir_rel;
  out += '/';
  out += name;
  return out;
}

std::string io_error(const std::string& rel, int err) {
  return encode_name(rel) + ": " + std::strerror(err);
}

std::string walk(int dir_fd, const std::string& dir_rel, bool recursive,
                 const cancel_token& token, skip_list& skipped,
                 const std::function<bool(const walk_entry&)>& visit) {
  // One frame per directory on the current branch: its descriptor and its
  // sorted names. Only the branch is open, so descriptors grow with depth,
  // which max_walk_depth bounds.
  struct frame {
    unique_fd owned;
    int fd;
    std::string rel;
    std::vector<std::string> names;
    size_t next = 0;
  };
  std::vector<frame> stack;
  auto first = read_names(dir_fd);
  if (auto* err = std::get_if<int>(&first))
    return io_error(dir_rel, *err);
  stack.push_back(frame{unique_fd{}, dir_fd, dir_rel,
                        std::get<std::vector<std::string>>(std::move(first))});
  walk_entry e;
  while (!stack.empty()) {
    if (token.cancelled())
      return {};
    auto& top = stack.back();
    if (top.next == top.names.size()) {
      stack.pop_back();
      continue;
    }
    e.name = std::move(top.names[top.next++]);
    e.dir_fd = top.fd;
    e.rel = join_relative(top.rel, e.name);
    // Entries that vanish between listing and fstatat are simply not there.
    if (::fstatat(top.fd, e.name.c_str(), &e.st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        skipped.add(e.rel, std::string{"cannot stat: "} + std::strerror(errno));
      continue;
    }
    if (!visit(e))
      return {};
    if (!recursive || !S_ISDIR(e.st.st_mode))
      continue;
    if (stack.size() >= max_walk_depth) {
      skipped.add(e.rel, "nested deeper than " +
                             std::to_string(max_walk_depth) + " directories");
      continue;
    }
    // O_NOFOLLOW: if the name became a symlink since fstatat, do not enter.
    unique_fd sub{::openat(top.fd, e.name.c_str(),
                           O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
    if (!sub) {
      if (errno != ENOENT)
        skipped.add(e.rel, std::string{"cannot open directory: "} +
                               std::strerror(errno));
      continue;
    }
    auto names = read_names(sub.get());
    if (auto* err = std::get_if<int>(&names)) {
      skipped.add(e.rel,
                  std::string{"cannot read directory: "} + std::strerror(*err));
      continue;
    }
    int fd = sub.get();
    stack.push_back(
        frame{std::move(sub), fd, e.rel,
              std::get<std::vector<std::string>>(std::move(names))});
  }
  return {};
}

uint64_t uint_arg(const rapidjson::Value& args, const char* key,
                  uint64_t fallback) {
  auto i = args.FindMember(key);
  if (i == args.MemberEnd() || !i->value.IsUint64())
    return fallback;
  return i->value.GetUint64();
}

std::string string_arg(const rapidjson::Value& args, const char* key,
                       std::string fallback) {
  auto i = args.FindMember(key);
  if (i == args.MemberEnd() || !i->value.IsString())
    return fallback;
  return {i->value.GetString(), i->value.GetStringLength()};
}

bool bool_arg(const rapidjson::Value& args, const char* key, bool fallback) {
  auto i = args.FindMember(key);
  if (i == args.MemberEnd() || !i->value.IsBool())
    return fallback;
  return i->value.GetBool();
}

tool fs_list_tool() {
  tool t;
  t.name = "fs.list";
  t.description = "Lists the entries of a workspace directory, optionally "
                  "recursively, sorted by path.";
  t.schema = R"({"type":"object","properties":{)"
             R"("path":{"type":"string","maxLength":4096,"default":".",)"
             R"("description":"Directory to list, relative to the )"
             R"(workspace."},)"
             R"("recursive":{"type":"boolean","default":false,)"
             R"("description":"Also list every subdirectory's )"
             R"(entries."},)"
             R"("max_entries":{"type":"integer","minimum":1,)"
             R"("maximum":100000,"default":1000,)"
             R"("description":"Most entries to return; the listing )"
             R"(says truncated when there are more."}},)"
             R"("additionalProperties":false})";
  t.blocking = true;
  t.run = run_list;
  return t;
}

tool fs_read_tool() {
  tool t;
  t.name = "fs.read";
  t.description = "Reads a range of a workspace file as text.";
  t.schema = R"({"type":"object","properties":{)"
             R"("path":{"type":"string","maxLength":4096,)"
             R"("description":"File to read, relative to the )"
             R"(workspace."},)"
             R"("offset":{"type":"integer","minimum":0,"default":0,)"
             R"("description":"Byte to start reading at."},)"
             R"("max_bytes":{"type":"integer","minimum":1,)"
             R"("maximum":1048576,"default":65536,)"
             R"("description":"Most bytes to read."}},)"
             R"("required":["path"],"additionalProperties":false})";
  t.blocking = true;
  t.run = run_read;
  return t;
}

tool fs_hash_tool() {
  tool t;
  t.name = "fs.hash";
  t.description = "Computes the SHA-256 digest of a workspace file.";
  t.schema = R"({"type":"object","properties":{)"
             R"("path":{"type":"string","maxLength":4096,)"
             R"("description":"File to hash (SHA-256), relative to the )"
             R"(workspace."}},)"
             R"("required":["path"],"additionalProperties":false})";
  t.blocking = true;
  t.run = run_hash;
  return t;
}

} // namespace switchboard::tools
