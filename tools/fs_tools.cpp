#include "tools/fs_tools.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <variant>
#include <vector>

#include <fcntl.h>
#include <openssl/evp.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <unistd.h>

#include "tools/workspace.hpp"

namespace fs = std::filesystem;
using switchboard::protocol::error_code;

namespace switchboard::tools {

namespace {

constexpr size_t hash_chunk_bytes = 64 * 1024;

// Length of the well-formed UTF-8 sequence starting at s[i], or 0. Follows
// Unicode's table 3-7: no overlongs, no surrogates, nothing above U+10FFFF.
size_t sequence_length(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80)
    return 1;
  size_t n = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c == 0xE0) {
    n = 3;
    lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    n = 3;
  } else if (c == 0xED) {
    n = 3;
    hi = 0x9F;
  } else if (c == 0xF0) {
    n = 4;
    lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    n = 4;
  } else if (c == 0xF4) {
    n = 4;
    hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size())
    return 0;
  auto c1 = static_cast<unsigned char>(s[i + 1]);
  if (c1 < lo || c1 > hi)
    return 0;
  for (size_t k = 2; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
      return 0;
  return n;
}

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
};

// Opens a resolved path for reading without following a last-component
// symlink and without blocking on FIFOs; checks that it is a regular file.
std::variant<int, outcome>
open_regular(const fs::path& abs, const std::string& rel, struct stat& st) {
  int fd = ::open(abs.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return outcome::fail(error_code::tool_failed, errno_text(rel));
  if (::fstat(fd, &st) != 0) {
    auto out = outcome::fail(error_code::tool_failed, errno_text(rel));
    ::close(fd);
    return out;
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return outcome::fail(error_code::invalid_args,
                         "not a regular file: " + rel);
  }
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

outcome run_list(const rapidjson::Value& args, const workspace& ws) {
  auto path = string_arg(args, "path", ".");
  bool recursive = bool_arg(args, "recursive", false);
  auto max_entries = uint_arg(args, "max_entries", 1000);
  auto resolved = ws.resolve(path);
  if (auto* reason = std::get_if<std::string>(&resolved))
    return outcome::fail(error_code::invalid_args, *reason);
  auto& dir = std::get<fs::path>(resolved);
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return outcome::fail(error_code::invalid_args, "not a directory: " + path);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  w.StartObject();
  w.Key("path");
  w.String(valid_utf8(ws.relative(dir)));
  w.Key("entries");
  w.StartArray();
  uint64_t count = 0;
  bool truncated = false;
  auto err = walk(ws, dir, recursive, [&](const walk_entry& e) {
    if (count == max_entries) {
      truncated = true;
      return false;
    }
    ++count;
    w.StartObject();
    w.Key("path");
    w.String(valid_utf8(e.rel));
    w.Key("size");
    w.Uint64(S_ISDIR(e.st.st_mode) ? 0 : static_cast<uint64_t>(e.st.st_size));
    w.Key("mode");
    w.String(mode_string(e.st.st_mode));
    w.Key("type");
    w.String(type_name(e.st.st_mode));
    w.EndObject();
    return true;
  });
  if (!err.empty())
    return outcome::fail(error_code::tool_failed, err);
  w.EndArray();
  w.Key("truncated");
  w.Bool(truncated);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

outcome run_read(const rapidjson::Value& args, const workspace& ws) {
  auto path = string_arg(args, "path", "");
  auto offset = uint_arg(args, "offset", 0);
  auto max_bytes = uint_arg(args, "max_bytes", 65536);
  auto resolved = ws.resolve(path);
  if (auto* reason = std::get_if<std::string>(&resolved))
    return outcome::fail(error_code::invalid_args, *reason);
  auto& abs = std::get<fs::path>(resolved);
  struct stat st;
  auto opened = open_regular(abs, path, st);
  if (auto* failed = std::get_if<outcome>(&opened))
    return std::move(*failed);
  fd_guard fd{std::get<int>(opened)};
  auto size = static_cast<uint64_t>(st.st_size);
  std::string data;
  if (offset < size) {
    data.resize(static_cast<size_t>(std::min(max_bytes, size - offset)));
    size_t got = 0;
    while (got < data.size()) {
      auto n = ::pread(fd.fd, data.data() + got, data.size() - got,
                       static_cast<off_t>(offset + got));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return outcome::fail(error_code::tool_failed, errno_text(path));
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
  w.String(valid_utf8(ws.relative(abs)));
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

outcome run_hash(const rapidjson::Value& args, const workspace& ws) {
  auto path = string_arg(args, "path", "");
  auto resolved = ws.resolve(path);
  if (auto* reason = std::get_if<std::string>(&resolved))
    return outcome::fail(error_code::invalid_args, *reason);
  auto& abs = std::get<fs::path>(resolved);
  struct stat st;
  auto opened = open_regular(abs, path, st);
  if (auto* failed = std::get_if<outcome>(&opened))
    return std::move(*failed);
  fd_guard fd{std::get<int>(opened)};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(),
                                                              EVP_MD_CTX_free};
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1)
    return outcome::fail(error_code::tool_failed, "cannot initialize SHA-256");
  std::vector<unsigned char> chunk(hash_chunk_bytes);
  uint64_t size = 0;
  for (;;) {
    auto n = ::read(fd.fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return outcome::fail(error_code::tool_failed, errno_text(path));
    if (n == 0)
      break;
    size += static_cast<uint64_t>(n);
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
  w.String(valid_utf8(ws.relative(abs)));
  w.Key("size");
  w.Uint64(size);
  w.Key("sha256");
  w.String(digest);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

} // namespace

std::string valid_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    auto n = sequence_length(bytes, i);
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

std::string walk(const workspace& ws, const fs::path& dir, bool recursive,
                 const std::function<bool(const walk_entry&)>& visit) {
  // Sorted children of one directory, pushed in reverse so that popping
  // yields them in order; an explicit stack keeps deep trees off the C++
  // stack.
  std::vector<fs::path> pending;
  auto push_children = [&](const fs::path& d) -> std::string {
    std::error_code ec;
    fs::directory_iterator it{d, ec};
    if (ec)
      return ws.relative(d) + ": " + ec.message();
    std::vector<fs::path> children;
    for (; it != fs::directory_iterator{}; it.increment(ec)) {
      if (ec)
        break;
      children.push_back(it->path());
    }
    std::sort(children.begin(), children.end(),
              [](const fs::path& a, const fs::path& b) {
                return a.filename().native() < b.filename().native();
              });
    pending.insert(pending.end(), children.rbegin(), children.rend());
    return {};
  };
  if (auto err = push_children(dir); !err.empty())
    return err;
  while (!pending.empty()) {
    walk_entry e;
    e.abs = std::move(pending.back());
    pending.pop_back();
    // Entries that vanish between listing and lstat are simply not there.
    if (::lstat(e.abs.c_str(), &e.st) != 0)
      continue;
    e.rel = ws.relative(e.abs);
    if (!visit(e))
      break;
    if (recursive && S_ISDIR(e.st.st_mode))
      push_children(e.abs);
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
             R"("path":{"type":"string","maxLength":4096},)"
             R"("recursive":{"type":"boolean"},)"
             R"("max_entries":{"type":"integer","minimum":1,)"
             R"("maximum":100000}},)"
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
             R"("path":{"type":"string","maxLength":4096},)"
             R"("offset":{"type":"integer","minimum":0},)"
             R"("max_bytes":{"type":"integer","minimum":1,)"
             R"("maximum":1048576}},)"
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
             R"("path":{"type":"string","maxLength":4096}},)"
             R"("required":["path"],"additionalProperties":false})";
  t.blocking = true;
  t.run = run_hash;
  return t;
}

} // namespace switchboard::tools
