// The subcommands of mistral-engine; each returns the process exit code.
#pragma once

#include <string>
#include <vector>

namespace engine::cli {

int run_generate(const std::vector<std::string>& args);
int run_info(const std::vector<std::string>& args);
int run_synth(const std::vector<std::string>& args);
int run_serve(const std::vector<std::string>& args);

}  // namespace engine::cli
