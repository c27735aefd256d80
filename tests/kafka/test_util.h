// Helpers for the codec tests: hex literals for golden bytes.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

#include "common/check.h"

namespace corelog::kafka::testing {

// Parses whitespace-separated hex bytes; '|' starts a comment to the end
// of the line, and "'text'" inserts text verbatim.
inline std::string Hex(std::string_view spec) {
  std::string out;
  for (size_t i = 0; i < spec.size();) {
    char c = spec[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '|') {
      while (i < spec.size() && spec[i] != '\n') ++i;
    } else if (c == '\'') {
      size_t end = spec.find('\'', i + 1);
      CORELOG_CHECK(end != std::string_view::npos, "unterminated quote");
      out.append(spec.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      CORELOG_CHECK(i + 1 < spec.size(), "odd hex digit count");
      out.push_back(static_cast<char>(std::stoi(std::string(spec.substr(i, 2)), nullptr, 16)));
      i += 2;
    }
  }
  return out;
}

inline std::string ToHex(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace corelog::kafka::testing
