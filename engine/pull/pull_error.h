// Why `mistral-engine pull` failed: the kind picks the exit code, the message says what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace engine::pull {

enum class PullFailure {
  kUsage,       // a URI, name or option that can never work
  kAccess,      // 401/403: token missing or without access
  kNotFound,    // 404: no such repository, revision or file
  kChecksum,    // the bytes do not match the expected sha256
  kDiskFull,    // ENOSPC/EDQUOT in the destination
  kFilesystem,  // any other local file error
  kNetwork,     // retries exhausted on transport errors or 5xx/429 answers
  kServer,      // another unexpected HTTP answer
};

class PullError : public std::runtime_error {
 public:
  PullError(PullFailure kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  PullFailure kind() const { return kind_; }

 private:
  PullFailure kind_;
};

}  // namespace engine::pull
