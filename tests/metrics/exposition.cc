#include "tests/metrics/exposition.h"

#include <gtest/gtest.h>

#include <sstream>

namespace corelog::metrics::testing {
namespace {

// Splits "# TYPE name type" / "# HELP name text" into name and the rest.
void ParseComment(const std::string& line, Exposition& out) {
  std::istringstream in(line);
  std::string hash, kind, name, rest;
  in >> hash >> kind >> name;
  std::getline(in >> std::ws, rest);
  if (kind == "TYPE") {
    EXPECT_EQ(out.types.count(name), 0u) << "duplicate # TYPE for " << name;
    out.types[name] = rest;
  } else if (kind == "HELP") {
    out.help[name] = rest;
  }
}

}  // namespace

std::optional<double> Exposition::Get(const std::string& series) const {
  auto it = samples.find(series);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

double Exposition::Value(const std::string& series) const {
  auto v = Get(series);
  EXPECT_TRUE(v.has_value()) << "no sample " << series;
  return v.value_or(-1);
}

Exposition Parse(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line[0] == '#') {
      ParseComment(line, out);
      continue;
    }
    // Label values in these tests never contain spaces: the value follows
    // the last space.
    const size_t space = line.rfind(' ');
    EXPECT_NE(space, std::string::npos) << line;
    if (space == std::string::npos) continue;
    const std::string series = line.substr(0, space);
    EXPECT_EQ(out.samples.count(series), 0u) << "duplicate series " << series;
    out.samples[series] = std::stod(line.substr(space + 1));
  }
  return out;
}

}  // namespace corelog::metrics::testing
