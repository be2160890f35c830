// The subcommands of mistral-engine; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

#include "backend/backend.h"
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

// --device cpu|vulkan[:N] (cpu when absent); a UsageError for anything else.
DeviceChoice parse_device(const Args& args);

}  // namespace engine::cli
