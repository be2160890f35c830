// The numbers a run comes to: counts, rates and latency distributions, from the raw results.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "run_outcome.h"

namespace loadgen {

// Seconds. Percentiles interpolate linearly between the nearest ranks.
struct Distribution {
  int64_t count = 0;
  double mean = 0, min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};
Distribution distribution(std::vector<double> values);

struct ErrorCount {
  std::string category;
  int64_t count = 0;
  std::string example;  // the first one's detail
};

struct Summary {
  int64_t ok = 0, failed = 0, aborted = 0, dropped = 0;
  std::vector<ErrorCount> errors;  // most frequent first; aborted requests are not errors

  double duration_s = 0;  // measured phase: first send to last answer
  double request_rate = 0, output_token_rate = 0, input_token_rate = 0;
  double send_rate = 0;  // requests started per second while issuing (open loop: the offered load)
  int64_t output_tokens = 0, prompt_tokens = 0;  // successful requests only
  int64_t usage_reported = 0;                    // successful requests whose usage came back
  int peak_inflight = 0;

  Distribution ttft, itl, tpot, e2e;
};

Summary summarize(const RunOutcome& outcome);

}  // namespace loadgen
