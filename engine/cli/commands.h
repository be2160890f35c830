// The subcommands of mistral-engine; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "cli/args.h"

namespace engine::cli {

using ::cli::Args;
using ::cli::UsageError;

int run_generate(const std::vector<std::string>& args);
int run_info(const std::vector<std::string>& args);
int run_synth(const std::vector<std::string>& args);
int run_serve(const std::vector<std::string>& args);
int run_pull(const std::vector<std::string>& args);
int run_devices(const std::vector<std::string>& args);

}  // namespace engine::cli
