// licenses: reads the workspace's package manifests with the file tools,
// asks a person to approve each licence outside the allowed list, and
// reports every manifest with its verdict.
#include <flows/registrar.hpp>

#include <chrono>
#include <string>
#include <vector>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace {

using namespace switchboard;
using json_writer = rapidjson::Writer<rapidjson::StringBuffer>;

const char* const manifest_names[] = {"package.json", "Cargo.toml",
                                      "pyproject.toml"};

bool is_manifest(const std::string& path) {
  auto name = path.substr(path.rfind('/') + 1);
  for (auto* m : manifest_names)
    if (name == m)
      return true;
  return false;
}

// Returns the declared licence, or "" when the manifest declares none.
std::string declared_licence(const std::string& path, const std::string& text) {
  if (path.ends_with(".json")) {
    rapidjson::Document doc;
    doc.Parse(text);
    if (doc.IsObject() && doc.HasMember("license") && doc["license"].IsString())
      return doc["license"].GetString();
    return {};
  }
  // TOML: the first `license = "X"` line (Cargo.toml, pyproject.toml).
  for (size_t at = 0; at < text.size();) {
    auto end = text.find('\n', at);
    auto line = text.substr(at, end - at);
    at = end == std::string::npos ? text.size() : end + 1;
    if (line.rfind("license", 0) != 0 || line.find('=') == std::string::npos)
      continue;
    auto open = line.find('"');
    auto close = line.find('"', open + 1);
    if (open != std::string::npos && close != std::string::npos)
      return line.substr(open + 1, close - open - 1);
  }
  return {};
}

// Parses a tool's result; a tool's failure fails the flow.
rapidjson::Document parsed(const flows::tool_reply& reply, const char* tool) {
  if (!reply.ok)
    throw flows::flow_failure{protocol::error_code::tool_failed,
                              std::string{tool} + " failed: " + reply.message};
  rapidjson::Document doc;
  doc.Parse(reply.result);
  return doc;
}

// The helpers take the replies by value and return only what the flow
// keeps: the parsed documents never live in the coroutine's frame, which
// is what a waiting task costs.
std::vector<std::string> manifests_in(flows::tool_reply listed) {
  auto listing = parsed(listed, "fs.list");
  std::vector<std::string> out;
  for (auto& e : listing["entries"].GetArray())
    if (std::string{e["type"].GetString()} == "file" &&
        is_manifest(e["path"].GetString()))
      out.push_back(e["path"].GetString());
  return out;
}

std::string licence_in(const std::string& path, flows::tool_reply read) {
  return declared_licence(path, parsed(read, "fs.read")["data"].GetString());
}

std::string args(const std::string& path, bool list) {
  rapidjson::StringBuffer buf;
  json_writer w{buf};
  w.StartObject();
  w.Key("path");
  w.String(path);
  if (list) {
    w.Key("recursive");
    w.Bool(true);
    w.Key("max_entries");
    w.Int(10000);
  }
  w.EndObject();
  return buf.GetString();
}

flows::flow run_licenses(flows::context& ctx) {
  auto& params = ctx.params();
  std::chrono::milliseconds timeout{params["input_timeout_ms"].GetInt64()};
  ctx.progress(0, -1, "looking for manifests");
  // Each co_await its own statement, its arguments named locals: g++ 12
  // destroys some temporaries of a co_await expression twice (a `?:` that
  // makes a std::string in the prompt below crashed the server).
  auto list_args = args(params["path"].GetString(), true);
  auto listed = co_await ctx.call_tool("fs.list", std::move(list_args));
  auto manifests = manifests_in(std::move(listed));
  auto total = static_cast<int64_t>(manifests.size());
  rapidjson::StringBuffer report;
  json_writer w{report};
  w.StartObject();
  w.Key("manifests");
  w.StartArray();
  int64_t approved = 0, rejected = 0;
  for (int64_t i = 0; i < total; ++i) {
    auto& path = manifests[i];
    ctx.progress(i, total, "reading " + path);
    auto read_args = args(path, false);
    auto reply = co_await ctx.call_tool("fs.read", std::move(read_args));
    auto licence = licence_in(path, std::move(reply));
    std::string verdict = "allowed";
    bool allowed = false;
    for (auto& a : params["allowed"].GetArray())
      allowed = allowed || licence == a.GetString();
    if (!allowed) {
      // The question's context says what it is about, for any client.
      rapidjson::StringBuffer about;
      json_writer c{about};
      c.StartObject();
      c.Key("path");
      c.String(path);
      c.Key("license");
      c.String(licence);
      c.EndObject();
      auto prompt = path + " declares " +
                    (licence.empty() ? "no licence" : licence) + ": approve?";
      auto answer = co_await ctx.ask(
          std::move(prompt), R"({"type":"string","enum":["approve","reject"]})",
          timeout, about.GetString());
      verdict = answer == R"("approve")" ? "approved" : "rejected";
      ++(verdict == "approved" ? approved : rejected);
    }
    w.StartObject();
    w.Key("path");
    w.String(path);
    w.Key("license");
    w.String(licence);
    w.Key("verdict");
    w.String(verdict);
    w.EndObject();
  }
  ctx.progress(total, total, "checked " + std::to_string(total) + " manifests");
  w.EndArray();
  w.Key("approved");
  w.Int64(approved);
  w.Key("rejected");
  w.Int64(rejected);
  w.EndObject();
  co_return report.GetString();
}

} // namespace

SWITCHBOARD_FLOWS(r) {
  flows::flow_kind k;
  k.name = "licenses";
  k.description = "Reads the workspace's package manifests and asks a person "
                  "to approve each licence outside the allowed list.";
  k.params_schema =
      R"({"type":"object","properties":{)"
      R"("path":{"type":"string","default":".",)"
      R"("description":"directory of the workspace to search"},)"
      R"("allowed":{"type":"array","items":{"type":"string"},)"
      R"("default":["MIT","Apache-2.0","BSD-2-Clause","BSD-3-Clause","ISC"],)"
      R"("description":"licences that need no approval"},)"
      R"("input_timeout_ms":{"type":"integer","minimum":1000,)"
      R"("maximum":86400000,"default":300000,)"
      R"("description":"time a person has for each approval"}},)"
      R"("additionalProperties":false})";
  k.run = run_licenses;
  r.add(std::move(k));
}
