// The run's report: a table for people on stdout and the same numbers, with the configuration,
// as JSON for scripts and dashboards.
#pragma once

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "options.h"
#include "run_outcome.h"
#include "server_probe.h"
#include "stats.h"

namespace loadgen {

struct ReportInput {
  const Options& options;  // with the model resolved
  const ServerInfo& server;
  std::string target;  // the endpoint's full URL
  const RunOutcome& outcome;
  const Summary& summary;
};

void print_report(std::FILE* out, const ReportInput& in);
nlohmann::json report_json(const ReportInput& in);

}  // namespace loadgen
