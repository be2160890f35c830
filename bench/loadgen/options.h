// The command line of mistral-loadgen: what to send, how hard, for how long, and where to report.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace loadgen {

enum class Endpoint { Completions, Chat };
enum class Arrival { Poisson, Fixed };

// A command line that cannot run; main prints the message and the usage.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  std::string url = "http://127.0.0.1:8000";
  Endpoint endpoint = Endpoint::Completions;
  std::string model;  // empty: the first model GET /v1/models lists
  std::string api_key;

  // Exactly one of the two load shapes: closed loop (concurrency) or open loop (rate).
  int concurrency = 0;
  double rate = 0;
  Arrival arrival = Arrival::Poisson;
  int max_inflight = 256;  // open loop: arrivals beyond this many in flight are dropped

  // When to stop issuing: whichever comes first; 0 means no limit of that kind.
  int64_t requests = 0;
  double duration_s = 0;
  double grace_s = 30;  // after --duration, in-flight requests get this long before being cut

  int prompt_tokens = 256;
  int max_tokens = 128;
  bool ignore_eos = false;
  bool stream = true;
  double temperature = 0;
  int warmup = 0;
  uint64_t seed = 0;
  double timeout_s = 300;  // one request, connect to last byte

  std::string json_path;
  std::string label;
  bool help = false;
};

// Parses argv (without the program name); applies the defaults that depend on other options.
Options parse_options(const std::vector<std::string>& args);
std::string usage_text();

std::string endpoint_name(Endpoint e);
std::string endpoint_path(Endpoint e);  // below the base URL, e.g. /v1/completions
nlohmann::json options_json(const Options& o);

}  // namespace loadgen
