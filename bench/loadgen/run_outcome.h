// The raw record of a run, before any statistics: every measured request and the run's clock.
#pragma once

#include <cstdint>
#include <vector>

#include "request_result.h"

namespace loadgen {

struct RunOutcome {
  std::vector<RequestResult> results;  // the measured requests, in the order they ended
  Clock::time_point start, end;        // measured phase: first request sent to last answer
  Clock::time_point issue_end;         // when the run stopped sending new requests
  int64_t dropped = 0;                 // open loop: arrivals turned away by --max-inflight
  int peak_inflight = 0;
  int64_t warmup_ok = 0, warmup_failed = 0;
  bool interrupted = false;   // SIGINT/SIGTERM ended the run early
  bool cut_by_grace = false;  // requests still running after --duration + --grace were aborted
};

}  // namespace loadgen
