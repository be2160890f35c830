#include <cstdio>

#include "cli/args.h"
#include "cli/commands.h"
#include "pull/pull_model_file.h"

namespace engine::cli {
namespace {

// Distinct codes for what an init container's owner must fix: the token, or the URI.
int exit_code(pull::PullFailure kind) {
  switch (kind) {
    case pull::PullFailure::kUsage:
      return 2;
    case pull::PullFailure::kAccess:
      return 3;
    case pull::PullFailure::kNotFound:
      return 4;
    default:
      return 1;
  }
}

}  // namespace

int run_pull(const std::vector<std::string>& argv) {
  const Args args(argv, {"dest", "sha256", "file"}, {});
  if (args.positional().size() != 1) {
    throw UsageError("pull takes one URI: hf://ORG/REPO[@REVISION]/PATH or https://HOST/PATH");
  }
  pull::PullOptions o;
  o.dest_dir = args.required("dest");
  o.file_name = args.str("file", "");
  o.sha256 = args.str("sha256", "");
  o.log = [](const std::string& line) { std::fprintf(stderr, "pull: %s\n", line.c_str()); };
  try {
    o.source = pull::resolve_pull_source(args.positional()[0], pull::process_environment());
    const pull::PullResult result = pull::pull_model_file(o);
    std::printf("%s\n", result.path.c_str());
    return 0;
  } catch (const pull::PullError& e) {
    if (e.kind() == pull::PullFailure::kUsage) throw UsageError(e.what());
    std::fprintf(stderr, "mistral-engine pull: error: %s\n", e.what());
    return exit_code(e.kind());
  }
}

}  // namespace engine::cli
