#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace switchboard::tools {

// File names are bytes. On the wire (tool arguments, results and error
// messages) they travel in one escaped form that is always valid UTF-8 and
// round-trips:
// - a byte sequence that is well-formed UTF-8 stands for itself, except the
//   backslash, which is written `\\`;
// - every other byte is written `\xHH` (two lowercase hex digits).
// Decoding reads `\\` as one backslash and `\xHH` (either case) as that
// byte; a backslash followed by anything else stands for itself, so plain
// names that contain a lone backslash keep working.

/// Returns the length of the well-formed UTF-8 sequence starting at `s[i]`
/// (Unicode table 3-7: no overlongs, no surrogates), or 0 if there is none.
size_t utf8_sequence_length(std::string_view s, size_t i);

/// Returns the escaped (wire) form of the file name or path `bytes`.
std::string encode_name(std::string_view bytes);

/// Returns the bytes that the wire form `wire` names.
std::string decode_name(std::string_view wire);

} // namespace switchboard::tools
