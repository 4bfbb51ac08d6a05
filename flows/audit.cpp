#include "flows/audit.hpp"
#include "protocol/encoder.hpp"

#include <algorithm>
#include <filesystem>
#include <variant>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "protocol/json.hpp"
#include "tools/workspace.hpp"

namespace switchboard::flows {

namespace {

// Skipped files listed in the result; the rest are only counted.
constexpr int64_t max_skipped = 1000;

// Files per secrets.scan call: small batches keep progress fine-grained on
// small trees, larger ones keep the event count bounded on huge trees.
size_t batch_size(size_t total) {
  return std::clamp<size_t>(total / 100, 16, 256);
}

rapidjson::Document parse(const std::string& json) {
  rapidjson::Document doc;
  protocol::parse_json(json, doc, {64 * 1024 * 1024, 64});
  return doc;
}

} // namespace

std::string check_audit_params(rapidjson::Document& params,
                               const tools::workspace& ws) {
  // Defaults are filled in from the schema before this runs.
  auto& path = params["path"];
  auto resolved = ws.resolve({path.GetString(), path.GetStringLength()});
  if (auto* reason = std::get_if<std::string>(&resolved))
    return *reason;
  return {};
}

flow run_audit(context& ctx) {
  auto& params = ctx.params();
  std::string path = params["path"].GetString();
  int64_t large = params["large_file_bytes"].GetInt64();
  // Collect the files to scan: the path itself, or every file below it.
  std::vector<std::string> files;
  auto resolved = ctx.workspace().resolve(path);
  auto* abs = std::get_if<std::filesystem::path>(&resolved);
  if (!abs)
    throw flow_failure{protocol::error_code::invalid_params,
                       std::get<std::string>(resolved)};
  // Files the audit could not scan, with why: reported, never fatal, so that
  // one hostile or unreadable name cannot sink the whole audit.
  rapidjson::StringBuffer skipped_buf;
  rapidjson::Writer<rapidjson::StringBuffer> skipped{skipped_buf};
  skipped.StartArray();
  int64_t skipped_count = 0;
  auto skip = [&](const rapidjson::Value& path, std::string_view reason) {
    if (++skipped_count > max_skipped)
      return;
    skipped.StartObject();
    skipped.Key("path");
    path.Accept(skipped);
    skipped.Key("reason");
    skipped.String(reason.data(),
                   static_cast<rapidjson::SizeType>(reason.size()));
    skipped.EndObject();
  };
  std::error_code ec;
  if (std::filesystem::is_regular_file(*abs, ec)) {
    // The path as given (escaped form): secrets.scan opens it beneath the
    // root again.
    files.push_back(path);
  } else {
    ctx.progress(0, -1, "listing files");
    auto args = protocol::object_writer{}
                    .str("path", path)
                    .boolean("recursive", true)
                    .num("max_entries", 100000)
                    .finish();
    auto reply = co_await ctx.call_tool("fs.list", std::move(args));
    if (!reply.ok)
      throw flow_failure{protocol::error_code::tool_failed,
                         "fs.list failed: " + reply.message};
    auto listing = parse(reply.result);
    for (auto& e : listing["entries"].GetArray()) {
      std::string_view type = e["type"].GetString();
      if (type == "file")
        files.emplace_back(e["path"].GetString(), e["path"].GetStringLength());
      else if (type == "symlink")
        skip(e["path"], "symlink, not followed");
      else if (type != "dir")
        skip(e["path"], "not a regular file");
    }
    if (listing.HasMember("skipped"))
      for (auto& e : listing["skipped"].GetArray())
        skip(e["path"], e["reason"].GetString());
    if (listing["truncated"].GetBool())
      ctx.log("warn", "more than 100000 entries; the audit covers the first "
                      "100000");
  }
  auto total = static_cast<int64_t>(files.size());
  ctx.progress(0, total, "scanning " + std::to_string(total) + " files");
  // Accumulate the result as it comes in.
  rapidjson::StringBuffer findings_buf;
  rapidjson::Writer<rapidjson::StringBuffer> findings{findings_buf};
  findings.StartArray();
  int64_t files_scanned = 0;
  int64_t bytes_scanned = 0;
  int64_t high = 0;
  int64_t medium = 0;
  int64_t low = 0;
  int64_t done = 0;
  int last_percent = 0;
  auto batch = batch_size(files.size());
  for (size_t i = 0; i < files.size(); i += batch) {
    auto end = std::min(files.size(), i + batch);
    protocol::object_writer a;
    auto& paths = a.key("paths").writer();
    paths.StartArray();
    for (auto j = i; j < end; ++j)
      paths.String(files[j].data(),
                   static_cast<rapidjson::SizeType>(files[j].size()));
    paths.EndArray();
    auto args = a.num("large_file_bytes", large).finish();
    auto reply = co_await ctx.call_tool("secrets.scan", std::move(args));
    if (!reply.ok)
      throw flow_failure{protocol::error_code::tool_failed,
                         "secrets.scan failed: " + reply.message};
    auto scan = parse(reply.result);
    for (auto& e : scan["skipped"].GetArray())
      skip(e["path"], e["reason"].GetString());
    files_scanned += scan["files_scanned"].GetInt64();
    bytes_scanned += scan["bytes_scanned"].GetInt64();
    for (auto& f : scan["findings"].GetArray()) {
      std::string_view sev = f["severity"].GetString();
      if (sev == "high")
        ++high;
      else if (sev == "medium")
        ++medium;
      else
        ++low;
      f.Accept(findings);
    }
    done = static_cast<int64_t>(end);
    // Coalesce: at most one progress event per percent of the files.
    auto percent = static_cast<int>(done * 100 / std::max<int64_t>(total, 1));
    if (percent != last_percent || done == total) {
      last_percent = percent;
      ctx.progress(done, total,
                   "scanned " + std::to_string(done) + " of " +
                       std::to_string(total) + " files");
    }
  }
  findings.EndArray();
  skipped.EndArray();
  co_return protocol::object_writer{}
      .num("files_scanned", files_scanned)
      .num("bytes_scanned", bytes_scanned)
      .raw("findings",
           std::string_view{findings_buf.GetString(), findings_buf.GetSize()})
      .raw("counts", protocol::object_writer{}
                         .num("high", high)
                         .num("medium", medium)
                         .num("low", low)
                         .finish())
      .raw("skipped",
           std::string_view{skipped_buf.GetString(), skipped_buf.GetSize()})
      .num("skipped_count", skipped_count)
      .finish();
}

flow_kind audit_kind() {
  flow_kind k;
  k.name = "audit";
  k.description = "Scans a file or directory of the workspace for leaked "
                  "secrets and risky files.";
  k.params_schema =
      R"({"type":"object","properties":{)"
      R"("path":{"type":"string","default":".",)"
      R"("description":"file or directory inside the workspace"},)"
      R"("large_file_bytes":{"type":"integer","minimum":1,"maximum":1099511627776,)"
      R"("default":10485760,)"
      R"("description":"files over this size are reported, not scanned"}},)"
      R"("additionalProperties":false})";
  k.check = check_audit_params;
  k.run = run_audit;
  return k;
}

} // namespace switchboard::flows
