#include "stats.h"

#include <algorithm>
#include <map>
#include <numeric>

namespace loadgen {

Distribution distribution(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  const auto at = [&](double p) {
    const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
    const auto lo = static_cast<size_t>(rank);
    const size_t hi = std::min(lo + 1, values.size() - 1);
    return values[lo] + (values[hi] - values[lo]) * (rank - static_cast<double>(lo));
  };
  d.count = static_cast<int64_t>(values.size());
  d.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  d.min = values.front();
  d.max = values.back();
  d.p50 = at(50);
  d.p90 = at(90);
  d.p99 = at(99);
  return d;
}

Summary summarize(const RunOutcome& outcome) {
  Summary s;
  std::vector<double> ttft, itl, tpot, e2e;
  std::map<std::string, ErrorCount> errors;
  int64_t started = 0;
  for (const RequestResult& r : outcome.results) {
    if (r.start <= outcome.issue_end) ++started;
    if (r.aborted) {
      ++s.aborted;
      continue;
    }
    if (!r.ok) {
      ++s.failed;
      ErrorCount& e = errors[r.error];
      if (e.count++ == 0) {
        e.category = r.error;
        e.example = r.detail;
      }
      continue;
    }
    ++s.ok;
    s.output_tokens += r.output_tokens;
    s.prompt_tokens += r.prompt_tokens;
    s.usage_reported += r.usage_reported ? 1 : 0;
    e2e.push_back(r.e2e_s());
    if (r.ttft_s) {
      ttft.push_back(*r.ttft_s);
      itl.insert(itl.end(), r.itl_s.begin(), r.itl_s.end());
      // The first token's wait is TTFT; TPOT spreads the rest of the time over the rest.
      if (r.output_tokens > 1) {
        tpot.push_back((r.e2e_s() - *r.ttft_s) / static_cast<double>(r.output_tokens - 1));
      }
    }
  }
  for (auto& [_, e] : errors) s.errors.push_back(std::move(e));
  std::stable_sort(s.errors.begin(), s.errors.end(),
                   [](const ErrorCount& a, const ErrorCount& b) { return a.count > b.count; });

  s.dropped = outcome.dropped;
  s.peak_inflight = outcome.peak_inflight;
  s.duration_s = seconds_between(outcome.start, outcome.end);
  if (s.duration_s > 0) {
    s.request_rate = static_cast<double>(s.ok) / s.duration_s;
    s.output_token_rate = static_cast<double>(s.output_tokens) / s.duration_s;
    s.input_token_rate = static_cast<double>(s.prompt_tokens) / s.duration_s;
  }
  const double issuing_s = seconds_between(outcome.start, outcome.issue_end);
  if (issuing_s > 0) s.send_rate = static_cast<double>(started) / issuing_s;
  s.ttft = distribution(std::move(ttft));
  s.itl = distribution(std::move(itl));
  s.tpot = distribution(std::move(tpot));
  s.e2e = distribution(std::move(e2e));
  return s;
}

}  // namespace loadgen
