// What one request came to: success or the reason it failed, and its timings and token counts.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loadgen {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

struct RequestResult {
  bool ok = false;
  // Cut off by the run itself (the --grace limit or an interrupt): neither success nor the
  // server's failure, so the report keeps these apart.
  bool aborted = false;
  std::string error;   // a short category that groups failures: "http 429", "connect: ..."
  std::string detail;  // the server's message or what was wrong, trimmed to one line

  Clock::time_point start, end;
  std::optional<double> ttft_s;  // streaming only: to the first chunk with text
  std::vector<double> itl_s;     // streaming only: between consecutive chunks with text
  int64_t content_chunks = 0;
  int64_t output_tokens = 0;  // the usage report's count, else the number of content chunks
  int64_t prompt_tokens = 0;  // the usage report's count, else 0
  bool usage_reported = false;

  double e2e_s() const { return seconds_between(start, end); }
};

}  // namespace loadgen
