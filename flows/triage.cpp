#include "flows/triage.hpp"

#include <chrono>

#include "flows/audit.hpp"
#include "protocol/encoder.hpp"
#include "protocol/json.hpp"

namespace switchboard::flows {

namespace {

constexpr std::string_view decision_schema =
    R"({"type":"string","enum":["fix","accept","false_positive"]})";

int rank(std::string_view severity) {
  if (severity == "high")
    return 3;
  if (severity == "medium")
    return 2;
  return 1;
}

std::string check_triage_params(rapidjson::Document& params,
                                const tools::workspace& ws) {
  return check_audit_params(params, ws);
}

flow run_triage(context& ctx) {
  auto min_rank = rank(ctx.params()["min_severity"].GetString());
  std::chrono::milliseconds timeout{
      ctx.params()["input_timeout_ms"].GetInt64()};
  auto audit_json = co_await run_audit(ctx);
  rapidjson::Document audit;
  protocol::parse_json(audit_json, audit, {64 * 1024 * 1024, 64});
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> out{buf};
  out.StartArray();
  // Findings left without a decision when a question timed out.
  rapidjson::StringBuffer left_buf;
  rapidjson::Writer<rapidjson::StringBuffer> left{left_buf};
  left.StartArray();
  std::string timed_out;
  auto describe = [](auto& w, const rapidjson::Value& f) {
    for (auto key : {"rule", "path", "line", "severity"}) {
      w.Key(key);
      f[key].Accept(w);
    }
  };
  int64_t fix = 0;
  int64_t accept = 0;
  int64_t false_positive = 0;
  auto& findings = audit["findings"];
  size_t asked = 0;
  size_t to_ask = 0;
  for (auto& f : findings.GetArray())
    if (rank(f["severity"].GetString()) >= min_rank)
      ++to_ask;
  ctx.log("info", std::to_string(findings.Size()) + " findings, " +
                      std::to_string(to_ask) + " to triage");
  for (auto& f : findings.GetArray()) {
    std::string_view severity = f["severity"].GetString();
    if (rank(severity) < min_rank)
      continue;
    if (!timed_out.empty()) {
      left.StartObject();
      describe(left, f);
      left.EndObject();
      continue;
    }
    ++asked;
    std::string prompt = "Finding " + std::to_string(asked) + " of " +
                         std::to_string(to_ask) + ": " + f["rule"].GetString() +
                         " (" + std::string{severity} + ") in " +
                         f["path"].GetString();
    if (f["line"].GetInt64() > 0)
      prompt += ":" + std::to_string(f["line"].GetInt64());
    prompt += ". Fix, accept or mark as false positive?";
    // The finding itself (its excerpt redacted by the scan), so that a
    // client can show what the question is about.
    rapidjson::StringBuffer about_buf;
    rapidjson::Writer<rapidjson::StringBuffer> about{about_buf};
    about.StartObject();
    about.Key("finding");
    about.StartObject();
    describe(about, f);
    about.Key("excerpt");
    if (auto e = f.FindMember("excerpt"); e != f.MemberEnd())
      e->value.Accept(about);
    else
      about.String("");
    about.EndObject();
    about.Key("index");
    about.Uint64(asked);
    about.Key("count");
    about.Uint64(to_ask);
    about.EndObject();
    std::string value;
    try {
      value = co_await ctx.ask(
          std::move(prompt), std::string{decision_schema}, timeout,
          std::string{about_buf.GetString(), about_buf.GetSize()});
    } catch (const flow_failure& e) {
      // An unanswered question ends the questions, not the triage: the
      // decisions made so far are its result, the rest listed as undecided.
      if (e.code != protocol::error_code::timeout)
        throw;
      timed_out = e.message;
    }
    if (!timed_out.empty()) {
      ctx.log("warn", timed_out + "; " + std::to_string(to_ask - asked + 1) +
                          " findings left undecided");
      left.StartObject();
      describe(left, f);
      left.EndObject();
      continue;
    }
    rapidjson::Document v;
    protocol::parse_json(value, v);
    std::string_view decision = v.GetString();
    if (decision == "fix")
      ++fix;
    else if (decision == "accept")
      ++accept;
    else
      ++false_positive;
    out.StartObject();
    describe(out, f);
    out.Key("decision");
    out.String(decision.data(),
               static_cast<rapidjson::SizeType>(decision.size()));
    out.EndObject();
  }
  out.EndArray();
  left.EndArray();
  protocol::object_writer result;
  result.raw("decisions", std::string_view{buf.GetString(), buf.GetSize()})
      .raw("undecided",
           std::string_view{left_buf.GetString(), left_buf.GetSize()});
  if (timed_out.empty())
    result.null("timed_out");
  else
    result.str("timed_out", timed_out);
  co_return result
      .raw("counts", protocol::object_writer{}
                         .num("fix", fix)
                         .num("accept", accept)
                         .num("false_positive", false_positive)
                         .finish())
      .raw("skipped", protocol::to_json(audit["skipped"]))
      .finish();
}

} // namespace

flow_kind triage_kind() {
  flow_kind k;
  k.name = "triage";
  k.description = "Audits the workspace, then asks a person to decide on "
                  "each finding at or above min_severity.";
  k.params_schema =
      R"({"type":"object","properties":{)"
      R"("path":{"type":"string","default":".",)"
      R"("description":"file or directory inside the workspace"},)"
      R"("min_severity":{"type":"string","enum":["low","medium","high"],)"
      R"("default":"medium",)"
      R"("description":"ask about findings at or above this severity"},)"
      R"("input_timeout_ms":{"type":"integer","minimum":1,)"
      R"("maximum":86400000,"default":300000,)"
      R"("description":"how long to wait for each answer"},)"
      R"("large_file_bytes":{"type":"integer","minimum":1,"maximum":1099511627776,)"
      R"("default":10485760,)"
      R"("description":"files over this size are reported, not scanned"}},)"
      R"("additionalProperties":false})";
  k.check = check_triage_params;
  k.run = run_triage;
  return k;
}

} // namespace switchboard::flows
