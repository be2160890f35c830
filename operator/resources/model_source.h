// spec.model.uri: where the GGUF file comes from and the path mistral-engine opens.
//   hf://ORG/REPO/PATH   downloaded by the init container into the cache volume (/models/FILE)
//   https://HOST/PATH    likewise
//   pvc://CLAIM/PATH     the claim mounted read-only at /models: /models/PATH
//   file:///PATH         already in the engine container: /PATH as written
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace resources {

// Where a downloaded file or a pvc:// claim is mounted in the pod.
inline constexpr std::string_view kModelDir = "/models";

enum class ModelSourceKind { kHuggingFace, kHttps, kPvc, kFile };

struct ModelSource {
  ModelSourceKind kind;
  std::string uri;          // as written
  std::string repository;   // hf: ORG/REPO
  std::string host;         // https: HOST[:PORT]
  std::string claim;        // pvc: the PersistentVolumeClaim's name
  std::string path;         // hf: path in the repository; https: URL path without query or
                            // fragment; pvc: path on the claim; file: the absolute path
  std::string file_name;    // the last path segment: what `mistral-engine pull` writes
  std::string engine_path;  // what `mistral-engine serve --model` reads

  // hf:// and https:// need the init container and a cache volume.
  bool downloads() const {
    return kind == ModelSourceKind::kHuggingFace || kind == ModelSourceKind::kHttps;
  }
};

class ModelUriError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Throws ModelUriError with a message that says what is wrong and what is expected.
ModelSource parse_model_uri(std::string_view uri);

// "hf", "https", "pvc" or "file".
std::string_view scheme_name(ModelSourceKind kind);

}  // namespace resources
