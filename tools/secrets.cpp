#include "tools/secrets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
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

// A line longer than this is scanned in pieces of this size, so that a file
// without newlines cannot make the scanner buffer all of it.
constexpr size_t max_line_bytes = 1024 * 1024;

constexpr std::string_view generic_mask = "********";

// Compiled once, on first use; RE2 objects are safe to share across threads.
struct rules {
  RE2 aws{R"(\bAKIA[A-Z0-9]{16}\b)"};
  RE2 private_key{R"(^\s*-----BEGIN ([A-Z0-9 ]+ )?PRIVATE KEY-----)"};
  // A key naming a secret, `=` or `:`, then a value of 8+ non-space
  // characters, quoted or bare. A bare value must end the token, so that
  // calls such as `token = tokenize(x)` or `password = env["X"]` do not
  // count as secrets.
  RE2 generic{
      R"re((?i)[A-Za-z0-9_.-]*(?:password|passwd|secret|api_key|apikey|token)re"
      R"re(|access_key)[A-Za-z0-9_.-]*["']?\s*[:=]\s*)re"
      R"re((?:"([^"\s]{8,})"|'([^'\s]{8,})'|)re"
      R"re(([^\s"'();,\[\]{}<>]{8,})(?:[\s;,]|$)))re"};
};

const rules& the_rules() {
  static const rules r;
  return r;
}

// A byte range of a line to mask, with its replacement.
struct span {
  size_t begin;
  size_t end;
  std::string_view mask;
};

constexpr std::string_view aws_mask = "****************";

std::string_view trim(std::string_view s) {
  auto is_space = [](char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
           c == '\f';
  };
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

struct line_hit {
  const char* rule;
  const char* severity;
};

// Finds the secrets on one line: the findings (in column order within each
// rule) and the spans to mask in the excerpt.
void match_line(std::string_view line, std::vector<line_hit>& hits,
                std::vector<span>& spans) {
  auto& r = the_rules();
  re2::StringPiece text{line.data(), line.size()};
  re2::StringPiece m[4];
  size_t pos = 0;
  while (pos <= line.size() &&
         r.aws.Match(text, pos, line.size(), RE2::UNANCHORED, m, 1)) {
    auto begin = static_cast<size_t>(m[0].data() - line.data());
    hits.push_back({"aws_access_key", "high"});
    spans.push_back({begin + 4, begin + m[0].size(), aws_mask});
    pos = begin + m[0].size();
  }
  if (RE2::PartialMatch(text, r.private_key))
    hits.push_back({"private_key", "high"});
  pos = 0;
  while (pos <= line.size() &&
         r.generic.Match(text, pos, line.size(), RE2::UNANCHORED, m, 4)) {
    auto end = static_cast<size_t>(m[0].data() - line.data()) + m[0].size();
    pos = std::max(end, pos + 1);
    const re2::StringPiece* value = nullptr;
    for (int g = 1; g <= 3; ++g)
      if (m[g].data() != nullptr)
        value = &m[g];
    if (!value)
      continue;
    auto vb = static_cast<size_t>(value->data() - line.data());
    auto ve = vb + value->size();
    // A value holding an AWS key is already reported, with more severity.
    bool covered = std::any_of(spans.begin(), spans.end(), [&](auto& s) {
      return s.mask == aws_mask && s.begin < ve && vb < s.end;
    });
    if (covered)
      continue;
    hits.push_back({"generic_secret", "medium"});
    spans.push_back({vb, ve, generic_mask});
  }
}

std::string excerpt_of(std::string_view line, std::vector<span> spans) {
  std::sort(spans.begin(), spans.end(),
            [](const span& a, const span& b) { return a.begin < b.begin; });
  std::string masked;
  size_t pos = 0;
  for (auto& s : spans) {
    if (s.begin < pos)
      continue;
    masked.append(line.substr(pos, s.begin - pos));
    masked.append(s.mask);
    pos = s.end;
  }
  masked.append(line.substr(std::min(pos, line.size())));
  return valid_utf8(utf8_prefix(trim(masked), max_excerpt_bytes));
}

// Applies the line rules to a stream of bytes, line by line.
class line_scanner {
 public:
  line_scanner(const std::string& path, std::vector<finding>& out,
               size_t max_findings)
      : path_(path), out_(out), max_findings_(max_findings) {}

  // Returns false once the findings cap is reached.
  bool feed(std::string_view bytes) {
    while (!bytes.empty()) {
      auto nl = bytes.find('\n');
      if (nl == std::string_view::npos) {
        carry_.append(bytes);
        if (carry_.size() >= max_line_bytes) {
          if (!emit(carry_, true))
            return false;
          carry_.clear();
        }
        return true;
      }
      bool ok;
      if (carry_.empty()) {
        ok = emit(bytes.substr(0, nl), false);
      } else {
        carry_.append(bytes.substr(0, nl));
        ok = emit(carry_, false);
        carry_.clear();
      }
      if (!ok)
        return false;
      bytes.remove_prefix(nl + 1);
    }
    return true;
  }

  // Scans a last line without a newline.
  void finish() {
    if (!carry_.empty())
      emit(carry_, false);
    carry_.clear();
  }

 private:
  // `partial` marks a piece of an overlong line: the next piece keeps the
  // same line number.
  bool emit(std::string_view line, bool partial) {
    if (!continued_)
      ++line_no_;
    continued_ = partial;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    hits_.clear();
    spans_.clear();
    match_line(line, hits_, spans_);
    if (hits_.empty())
      return out_.size() < max_findings_;
    auto excerpt = excerpt_of(line, spans_);
    for (auto& h : hits_) {
      if (out_.size() >= max_findings_)
        return false;
      out_.push_back(finding{h.rule, h.severity, path_, line_no_, excerpt});
    }
    return out_.size() < max_findings_;
  }

  const std::string& path_;
  std::vector<finding>& out_;
  size_t max_findings_;
  std::string carry_;
  uint64_t line_no_ = 0;
  bool continued_ = false;
  std::vector<line_hit> hits_;
  std::vector<span> spans_;
};

void write_finding(rapidjson::Writer<rapidjson::StringBuffer>& w,
                   const finding& f) {
  w.StartObject();
  w.Key("rule");
  w.String(f.rule);
  w.Key("severity");
  w.String(f.severity);
  w.Key("path");
  w.String(encode_name(f.path));
  w.Key("line");
  w.Uint64(f.line);
  w.Key("excerpt");
  w.String(f.excerpt);
  w.EndObject();
}

outcome run_scan(const rapidjson::Value& args, const workspace& ws,
                 const cancel_token& token) {
  std::vector<std::string> paths;
  bool has_path = args.HasMember("path");
  bool has_paths = args.HasMember("paths");
  if (has_path == has_paths)
    return outcome::fail(error_code::invalid_args,
                         "give exactly one of path and paths");
  if (has_path) {
    paths.push_back(string_arg(args, "path", ""));
  } else {
    for (auto& p : args["paths"].GetArray())
      if (p.IsString())
        paths.emplace_back(p.GetString(), p.GetStringLength());
  }
  auto large = uint_arg(args, "large_file_bytes", default_large_file_bytes);
  // Check every path before reading any file, so that a bad argument fails
  // the call as a whole.
  struct target {
    std::string rel;
    unique_fd fd;
    std::string skipped;
  };
  std::vector<target> targets;
  for (auto& p : paths) {
    if (auto reason = workspace::check_relative(p); !reason.empty())
      return outcome::fail(error_code::invalid_args, reason);
    auto rel = normalize_relative(p);
    auto opened = ws.open_beneath(p, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    if (auto* err = std::get_if<open_error>(&opened)) {
      // A single missing path is a bad argument; in a list, the file may
      // have gone since it was listed, and the rest still deserves a scan.
      // Names that leave the workspace or dangle are reported, never read.
      if (has_path && err->err == ENOENT &&
          err->message.rfind("no such file", 0) == 0)
        return outcome::fail(error_code::invalid_args, err->message);
      targets.push_back({rel, unique_fd{}, err->message});
      continue;
    }
    auto fd = std::get<unique_fd>(std::move(opened));
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) {
      targets.push_back({rel, unique_fd{}, io_error(rel, errno)});
      continue;
    }
    if (S_ISDIR(st.st_mode))
      return outcome::fail(error_code::invalid_args,
                           "not a regular file: " + encode_name(rel));
    targets.push_back({rel, std::move(fd), {}});
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  uint64_t files_scanned = 0;
  uint64_t bytes_scanned = 0;
  skip_list skipped;
  w.StartObject();
  w.Key("findings");
  w.StartArray();
  for (auto& t : targets) {
    if (token.cancelled())
      return token.stopped();
    if (!t.skipped.empty()) {
      skipped.add(t.rel, t.skipped);
      continue;
    }
    auto budget = token.max_bytes() > bytes_scanned
                      ? token.max_bytes() - bytes_scanned
                      : 0;
    auto scan = scan_fd(t.fd.get(), t.rel, large, token, budget);
    t.fd = unique_fd{};
    if (scan.cancelled)
      return token.stopped();
    for (auto& f : scan.findings)
      write_finding(w, f);
    bytes_scanned += scan.bytes_scanned;
    if (scan.skipped.empty())
      ++files_scanned;
    else
      skipped.add(t.rel, scan.skipped);
  }
  w.EndArray();
  w.Key("files_scanned");
  w.Uint64(files_scanned);
  w.Key("bytes_scanned");
  w.Uint64(bytes_scanned);
  skipped.write(w);
  w.EndObject();
  return outcome::ok({buf.GetString(), buf.GetSize()});
}

} // namespace

std::vector<finding> scan_text(std::string_view text, const std::string& path,
                               size_t max_findings) {
  std::vector<finding> out;
  line_scanner scanner{path, out, max_findings};
  if (scanner.feed(text))
    scanner.finish();
  return out;
}

std::string redact_line(std::string_view line) {
  std::vector<line_hit> hits;
  std::vector<span> spans;
  match_line(line, hits, spans);
  return excerpt_of(line, std::move(spans));
}

file_scan scan_fd(int fd, const std::string& rel, uint64_t large_file_bytes,
                  const cancel_token& token, uint64_t max_bytes) {
  file_scan result;
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    result.skipped = std::string{"cannot stat: "} + std::strerror(errno);
    return result;
  }
  if (!S_ISREG(st.st_mode)) {
    result.skipped = "not a regular file";
    return result;
  }
  result.size = static_cast<uint64_t>(st.st_size);
  if (st.st_mode & S_IWOTH)
    result.findings.push_back(
        finding{"world_writable", "medium", rel, 0, std::string{}});
  if (result.size > large_file_bytes) {
    result.findings.push_back(
        finding{"large_file", "low", rel, 0, std::string{}});
    result.skipped = "larger than large_file_bytes";
    return result;
  }
  if (result.size > max_bytes) {
    result.skipped = "the call reached its limit of bytes read (server "
                     "option --tool-max-bytes)";
    return result;
  }
  std::string chunk(read_chunk_bytes, '\0');
  line_scanner scanner{rel, result.findings, max_findings_per_file};
  bool first = true;
  uint64_t total = 0;
  auto cap = std::min(large_file_bytes, max_bytes);
  for (;;) {
    if (token.cancelled()) {
      result.cancelled = true;
      return result;
    }
    auto n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      result.skipped = std::string{"read error: "} + std::strerror(errno);
      return result;
    }
    if (n == 0)
      break;
    std::string_view data{chunk.data(), static_cast<size_t>(n)};
    // A read of a regular file fills the chunk unless the file is shorter,
    // so the first chunk holds the whole probe.
    if (first && looks_binary(data)) {
      result.skipped = "binary file";
      return result;
    }
    first = false;
    total += data.size();
    result.bytes_scanned = total;
    if (!scanner.feed(data))
      return result;
    // The file may grow while we read it: stay within the size we judged.
    if (total >= cap)
      break;
  }
  scanner.finish();
  return result;
}

file_scan scan_file(const workspace& ws, std::string_view relative,
                    uint64_t large_file_bytes) {
  auto rel = normalize_relative(relative);
  auto opened = ws.open_beneath(relative, O_RDONLY | O_NONBLOCK | O_NOCTTY);
  if (auto* err = std::get_if<open_error>(&opened)) {
    file_scan result;
    result.skipped = err->message;
    return result;
  }
  cancel_token token;
  return scan_fd(std::get<unique_fd>(opened).get(), rel, large_file_bytes,
                 token);
}

tool secrets_scan_tool() {
  tool t;
  t.name = "secrets.scan";
  t.description = "Scans workspace files for leaked secrets and risky files; "
                  "excerpts are redacted.";
  t.schema = R"({"type":"object","properties":{)"
             R"("path":{"type":"string","maxLength":4096,)"
             R"("description":"One file to scan, relative to the )"
             R"(workspace (or give paths)."},)"
             R"("paths":{"type":"array","minItems":1,"maxItems":256,)"
             R"("items":{"type":"string","maxLength":4096},)"
             R"("description":"Files to scan, relative to the )"
             R"(workspace (or give path)."},)"
             R"("large_file_bytes":{"type":"integer","minimum":1,)"
             R"("default":10485760,)"
             R"("description":"Files at least this big are reported )"
             R"(as large_file."}},)"
             R"("additionalProperties":false,)"
             R"("oneOf":[{"required":["path"]},{"required":["paths"]}]})";
  t.blocking = true;
  t.run = run_scan;
  return t;
}

} // namespace switchboard::tools
