// Reading the Prometheus text exposition format (version 0.0.4): what the operator gets from each
// engine's /metrics. The input comes from the network, so anything malformed is a ParseError and
// the work is linear in the input (plus sorting each sample's label names).
//
// Accepted beyond the strictest reading, as Prometheus itself accepts it: CRLF line endings, a
// missing final line feed, blanks around tokens and inside label sets, a trailing comma in a label
// set. # HELP and # TYPE lines are checked for form (a metric name; a known type); whether they
// agree with the samples is not checked, as nothing here needs it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "prometheus/metrics.h"

namespace prom {

struct Sample {
  std::string name;  // colons included: "vllm:num_requests_waiting"
  Labels labels;     // unescaped, in the order written
  double value = 0;  // NaN and ±Inf as written
  std::optional<std::int64_t> timestamp_ms;
};

// The message reads "line N: what is wrong".
class ParseError : public std::runtime_error {
 public:
  ParseError(std::size_t line, const std::string& what);
  std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

// Every sample in order of appearance; comments and metadata lines yield none.
std::vector<Sample> parse_text(std::string_view text);

}  // namespace prom
