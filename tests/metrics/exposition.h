// Test helper: a small reader of the Prometheus text format, enough to look
// samples up by their exact series text and to read # TYPE lines.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace corelog::metrics::testing {

struct Exposition {
  std::map<std::string, double> samples;     // `name{labels}` as written → value
  std::map<std::string, std::string> types;  // family name → counter/gauge/…
  std::map<std::string, std::string> help;   // family name → help text

  std::optional<double> Get(const std::string& series) const;
  // Get(series), failing the current test when it is absent.
  double Value(const std::string& series) const;
  bool Has(const std::string& series) const { return samples.count(series) != 0; }
};

// Parses `text`; a malformed line fails the current test.
Exposition Parse(const std::string& text);

}  // namespace corelog::metrics::testing
