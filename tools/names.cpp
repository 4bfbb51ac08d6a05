#include "tools/names.hpp"

#include "util/hex.hpp"

namespace switchboard::tools {

namespace {

using util::hex_value;

} // namespace

size_t utf8_sequence_length(std::string_view s, size_t i) {
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

std::string encode_name(std::string_view bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes[i] == '\\') {
      out += "\\\\";
      ++i;
      continue;
    }
    auto n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      auto b = static_cast<unsigned char>(bytes[i]);
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 0xF];
      ++i;
    } else {
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::string decode_name(std::string_view wire) {
  std::string out;
  out.reserve(wire.size());
  for (size_t i = 0; i < wire.size(); ++i) {
    if (wire[i] != '\\' || i + 1 == wire.size()) {
      out += wire[i];
      continue;
    }
    if (wire[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    if (wire[i + 1] == 'x' && i + 3 < wire.size() &&
        hex_value(wire[i + 2]) >= 0 && hex_value(wire[i + 3]) >= 0) {
      out += static_cast<char>(hex_value(wire[i + 2]) * 16 +
                               hex_value(wire[i + 3]));
      i += 3;
      continue;
    }
    out += wire[i];
  }
  return out;
}

} // namespace switchboard::tools
