#include "log/logger.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <variant>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace switchboard::log {

namespace {

std::atomic<level> current_level{level::info};
std::atomic<format> current_format{format::text};

spdlog::level::level_enum to_spdlog(level x) {
  switch (x) {
  case level::debug: return spdlog::level::debug;
  case level::info: return spdlog::level::info;
  case level::warn: return spdlog::level::warn;
  case level::error: return spdlog::level::err;
  case level::off: return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::string_view name_of(level x) {
  switch (x) {
  case level::debug: return "debug";
  case level::info: return "info";
  case level::warn: return "warn";
  case level::error: return "error";
  case level::off: return "off";
  }
  return "info";
}

// The one logger: spdlog's stderr sink is thread-safe and unbuffered
// enough for a server whose lines are rare (never per event).
spdlog::logger& logger() {
  static auto instance = [] {
    auto l = std::make_shared<spdlog::logger>(
        "switchboard", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    l->set_level(to_spdlog(level::info));
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l switchboard: %v");
    l->flush_on(spdlog::level::trace);
    return l;
  }();
  return *instance;
}

// Text values that contain spaces, quotes or '=' are quoted (logfmt).
void append_text_value(std::string& out, std::string_view v) {
  bool plain = !v.empty() && v.find_first_of(" \"=\\\n\t") == v.npos;
  if (plain) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\')
      out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  out += '"';
}

std::string render_text(std::string_view message,
                        std::initializer_list<field> fields) {
  std::string out{message};
  for (auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    std::visit(
        [&](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>)
            append_text_value(out, v);
          else if constexpr (std::is_same_v<T, bool>)
            out += v ? "true" : "false";
          else
            out += std::to_string(v);
        },
        f.value);
  }
  return out;
}

std::string render_json(level lvl, std::string_view message,
                        std::initializer_list<field> fields) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};
  auto str = [&](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  w.StartObject();
  w.Key("ts");
  w.Int64(std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count());
  w.Key("level");
  str(name_of(lvl));
  w.Key("msg");
  str(message);
  for (auto& f : fields) {
    str(f.key);
    std::visit(
        [&](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>)
            str(v);
          else if constexpr (std::is_same_v<T, bool>)
            w.Bool(v);
          else if constexpr (std::is_same_v<T, int64_t>)
            w.Int64(v);
          else if constexpr (std::is_same_v<T, uint64_t>)
            w.Uint64(v);
          else
            w.Double(v);
        },
        f.value);
  }
  w.EndObject();
  return {buf.GetString(), buf.GetSize()};
}

} // namespace

std::string render(level lvl, format fmt, std::string_view message,
                   std::initializer_list<field> fields) {
  return fmt == format::json ? render_json(lvl, message, fields)
                             : render_text(message, fields);
}

void configure(level lvl, format fmt) {
  current_level = lvl;
  current_format = fmt;
  auto& l = logger();
  l.set_level(to_spdlog(lvl));
  if (fmt == format::json)
    l.set_pattern("%v");
  else
    l.set_pattern("%Y-%m-%dT%H:%M:%S.%e %l switchboard: %v");
}

std::optional<level> parse_level(std::string_view name) {
  for (auto x :
       {level::debug, level::info, level::warn, level::error, level::off})
    if (name_of(x) == name)
      return x;
  return std::nullopt;
}

std::optional<format> parse_format(std::string_view name) {
  if (name == "text")
    return format::text;
  if (name == "json")
    return format::json;
  return std::nullopt;
}

bool enabled(level lvl) {
  return lvl != level::off && lvl >= current_level.load();
}

void write(level lvl, std::string_view message,
           std::initializer_list<field> fields) {
  if (!enabled(lvl))
    return;
  logger().log(to_spdlog(lvl), "{}",
               render(lvl, current_format.load(), message, fields));
}

} // namespace switchboard::log
