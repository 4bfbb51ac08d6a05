#include "protocol/json.hpp"

#include <cmath>

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace switchboard::protocol {

namespace {

// True when `s` holds a UTF-16 surrogate (U+D800..U+DFFF, encoded ED A0..BF
// xx). The raw input is validated as UTF-8 by RapidJSON, but RapidJSON 1.1.0
// turns a lone low-surrogate escape such as "\udc00" into these bytes, which
// are not UTF-8: echoed to a client they would make its WebSocket fail.
bool has_surrogate(const char* s, rapidjson::SizeType n) {
  for (rapidjson::SizeType i = 0; i + 1 < n; ++i)
    if (static_cast<unsigned char>(s[i]) == 0xED &&
        static_cast<unsigned char>(s[i + 1]) >= 0xA0)
      return true;
  return false;
}

// Counts nesting depth while forwarding every SAX event to the document, so
// that a hostile input is refused before it can build a deep tree.
struct depth_guard
    : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, depth_guard> {
  rapidjson::Document& doc;
  size_t max_depth;
  size_t depth = 0;
  bool too_deep = false;
  bool bad_escape = false;
  bool bad_number = false;

  depth_guard(rapidjson::Document& d, size_t max) : doc(d), max_depth(max) {}

  bool Null() {
    return doc.Null();
  }
  bool Bool(bool b) {
    return doc.Bool(b);
  }
  bool Int(int i) {
    return doc.Int(i);
  }
  bool Uint(unsigned i) {
    return doc.Uint(i);
  }
  bool Int64(int64_t i) {
    return doc.Int64(i);
  }
  bool Uint64(uint64_t i) {
    return doc.Uint64(i);
  }
  bool Double(double d) {
    // RapidJSON 1.1.0 refuses 1e400 but turns a long mantissa with a large
    // exponent (e.g. 1888...88e300) into infinity, which to_json cannot
    // write: it would emit truncated JSON such as {"n":
    if (!std::isfinite(d)) {
      bad_number = true;
      return false;
    }
    return doc.Double(d);
  }
  bool RawNumber(const char* str, rapidjson::SizeType len, bool copy) {
    return doc.RawNumber(str, len, copy);
  }
  bool String(const char* str, rapidjson::SizeType len, bool copy) {
    if (has_surrogate(str, len)) {
      bad_escape = true;
      return false;
    }
    return doc.String(str, len, copy);
  }
  bool Key(const char* str, rapidjson::SizeType len, bool copy) {
    if (has_surrogate(str, len)) {
      bad_escape = true;
      return false;
    }
    return doc.Key(str, len, copy);
  }
  bool StartObject() {
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return doc.StartObject();
  }
  bool EndObject(rapidjson::SizeType n) {
    --depth;
    return doc.EndObject(n);
  }
  bool StartArray() {
    if (++depth > max_depth) {
      too_deep = true;
      return false;
    }
    return doc.StartArray();
  }
  bool EndArray(rapidjson::SizeType n) {
    --depth;
    return doc.EndArray(n);
  }
};

} // namespace

parse_status parse_json(std::string_view text, rapidjson::Document& doc,
                        const json_limits& limits) {
  if (text.size() > limits.max_bytes)
    return {error_code::too_large, "message of " + std::to_string(text.size()) +
                                       " bytes exceeds the limit of " +
                                       std::to_string(limits.max_bytes)};
  constexpr unsigned flags = rapidjson::kParseIterativeFlag |
                             rapidjson::kParseValidateEncodingFlag |
                             rapidjson::kParseStopWhenDoneFlag;
  depth_guard guard{doc, limits.max_depth};
  rapidjson::MemoryStream ms{text.data(), text.size()};
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is{
      ms};
  rapidjson::ParseResult res;
  auto generate = [&](rapidjson::Document&) {
    rapidjson::Reader reader;
    res = reader.Parse<flags>(is, guard);
    return !res.IsError();
  };
  doc.SetNull();
  doc.Populate(generate);
  if (guard.too_deep)
    return {error_code::bad_json,
            "JSON nesting deeper than " + std::to_string(limits.max_depth)};
  if (guard.bad_number)
    return {error_code::bad_json, "invalid JSON at offset " +
                                      std::to_string(res.Offset()) +
                                      ": number out of range"};
  if (guard.bad_escape)
    return {error_code::bad_json, "invalid JSON at offset " +
                                      std::to_string(res.Offset()) +
                                      ": lone UTF-16 surrogate escape"};
  if (res.IsError())
    return {error_code::bad_json, std::string{"invalid JSON at offset "} +
                                      std::to_string(res.Offset()) + ": " +
                                      rapidjson::GetParseError_En(res.Code())};
  // kParseStopWhenDoneFlag stops after the first value; reject trailing data.
  auto pos = is.Tell();
  while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t' ||
                               text[pos] == '\n' || text[pos] == '\r'))
    ++pos;
  if (pos != text.size())
    return {error_code::bad_json, "trailing data after the JSON value"};
  return {};
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  value.Accept(writer);
  return {buf.GetString(), buf.GetSize()};
}

std::string quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buf};
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return {buf.GetString(), buf.GetSize()};
}

std::string error_json(std::string_view code, std::string_view message) {
  std::string result = R"({"type":"error","code":")";
  result += code;
  result += R"(","message":)";
  result += quote(message);
  result += '}';
  return result;
}

} // namespace switchboard::protocol
