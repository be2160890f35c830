// What `mistral-engine pull URI` fetches: the URI turned into an HTTPS URL, the file name it
// names, and the bearer token from the environment.
//   hf://ORG/REPO[@REVISION]/PATH  ${HF_ENDPOINT:-https://huggingface.co}/ORG/REPO/resolve/REV/PATH
//                                  (REVISION defaults to main), token HF_TOKEN or
//                                  HUGGING_FACE_HUB_TOKEN
//   https://HOST/PATH              as is, token MF_PULL_TOKEN
//   http://HOST/PATH               loopback hosts only (tests)
// pvc:// and file:// models are mounted into the pod, never pulled: they are refused.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace engine::pull {

struct PullSource {
  std::string url;
  std::string file_name;   // the URI's last path segment, decoded; "" when it ends with '/'
  std::string token;       // sent as "Authorization: Bearer"; "" for none
  std::string token_hint;  // where the token comes from, for error messages
  std::string repository;  // "ORG/REPO" for hf://, the host for https://
  std::string path;        // hf://: the file's path in the repository
  std::string revision;    // hf://: the branch, tag or commit
  bool hugging_face = false;
};

// The value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Throws PullError (kUsage) naming what is wrong with the URI.
PullSource resolve_pull_source(std::string_view uri, const EnvLookup& env);

}  // namespace engine::pull
