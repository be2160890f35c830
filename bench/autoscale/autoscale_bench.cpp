// mistral-autoscale-bench: how fast and how steadily the operator's queue-depth autoscaling
// reacts, end to end. The in-process fake API server, the real mistral-operator and N real
// `mistral-engine serve` processes on 127.0.0.1; FakeNodes plays the kubelet, ReplicaSet and
// EndpointSlice controllers, and a closed-loop load generator plays the clients behind the
// Service (round-robin over the pods that exist).
//
//   reaction  K load steps from an idle single replica: step → Deployment spec.replicas changes,
//             step → first new pod serving, load stop → back to 1 replica.
//   steady    a constant load for D seconds after a warm-up, with the CRD's default 300 s
//             scale-down window: every change of spec.replicas (a flap) and the queue depth seen.
//
// Prints a Markdown table (stdout; progress goes to stderr) and optionally writes JSON.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api_server.h"
#include "engine_process.h"
#include "fake_nodes.h"
#include "kube/api_client.h"
#include "kube/cluster_config.h"
#include "kube/resource_type.h"
#include "load_generator.h"
#include "operator_process.h"
#include "yaml_json.h"

namespace {

namespace fs = std::filesystem;
namespace types = kube::resource_types;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr const char* kNamespace = "default";
constexpr const char* kName = "bench";
constexpr const char* kManager = "autoscale-bench";
constexpr auto kSamplePeriod = 50ms;
// The operator's default scale-down rate: at most max(1 pod, 20%) removed per 60 s
// (operator/autoscaling/scaling_spec.h), so N replicas take N-1 such periods to reach 1.
constexpr auto kScaleDownRatePeriod = 60s;
constexpr int kSteadyScaleDownWindow = 300;  // the CRD's default scaleDownStabilizationSeconds

const kube::ResourceType kCrd{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                              "CustomResourceDefinition", false};

// SIGINT or SIGTERM (`timeout`) end the run through the waits below, so that every process the
// run started is stopped by its owner's destructor.
std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted = true; }

struct Options {
  int engines = 3;
  int trials = 5;
  int concurrency = 8;
  double target_queue_depth = 2;
  int poll_interval = 5;
  int reaction_scale_down_window = 30;
  int warmup = 120;
  int duration = 600;
  std::string json_path;
};

const char* const kUsage = R"(usage: mistral-autoscale-bench [options]
  --engines N                  engine processes, the InferenceService's maxReplicas (default 3)
  --trials K                   load steps in the reaction phase (default 5)
  --concurrency C              closed-loop clients during a load (default 8)
  --target-queue-depth T       spec.scaling.targetQueueDepth (default 2)
  --poll-interval P            spec.scaling.pollIntervalSeconds, seconds (default 5)
  --reaction-scale-down-window W
                               scaleDownStabilizationSeconds in the reaction phase (default 30)
  --warmup S                   seconds of load before the steady phase is measured (default 120)
  --duration D                 seconds of the measured steady phase (default 600)
  --json FILE                  also write the results as JSON
)";

// A whole number in [lo, hi] or a clear error.
int integer_arg(const std::string& flag, const std::string& text, int lo, int hi) {
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || value < lo || value > hi) {
    throw std::invalid_argument(flag + ": '" + text + "' is not a whole number in [" +
                                std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(value);
}

double positive_arg(const std::string& flag, const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || !(value > 0) || value > 1e6) {
    throw std::invalid_argument(flag + ": '" + text + "' is not a positive number");
  }
  return value;
}

// Throws std::invalid_argument for a bad command line; std::nullopt after --help.
std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (i + 1 >= argc) throw std::invalid_argument("unknown option or missing value: " + flag);
    const std::string value = argv[++i];
    if (flag == "--engines") {
      options.engines = integer_arg(flag, value, 2, 16);
    } else if (flag == "--trials") {
      options.trials = integer_arg(flag, value, 1, 100);
    } else if (flag == "--concurrency") {
      options.concurrency = integer_arg(flag, value, 1, 256);
    } else if (flag == "--target-queue-depth") {
      options.target_queue_depth = positive_arg(flag, value);
    } else if (flag == "--poll-interval") {
      options.poll_interval = integer_arg(flag, value, 1, 300);  // the CRD's range
    } else if (flag == "--reaction-scale-down-window") {
      options.reaction_scale_down_window = integer_arg(flag, value, 0, 3600);
    } else if (flag == "--warmup") {
      options.warmup = integer_arg(flag, value, 0, 3600);
    } else if (flag == "--duration") {
      options.duration = integer_arg(flag, value, 1, 86400);
    } else if (flag == "--json") {
      const fs::path parent = fs::absolute(value).parent_path();
      if (!fs::is_directory(parent)) {
        throw std::invalid_argument("--json: directory " + parent.string() + " does not exist");
      }
      options.json_path = value;
    } else {
      throw std::invalid_argument("unknown option " + flag);
    }
  }
  return options;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void check_interrupted() {
  if (g_interrupted) throw std::runtime_error("interrupted");
}

// Polls `condition` every kSamplePeriod until it holds; throws naming `what` when `bound` passes
// first.
void await(const std::function<bool()>& condition, std::chrono::seconds bound,
           const std::string& what) {
  const auto deadline = Clock::now() + bound;
  while (!condition()) {
    check_interrupted();
    if (Clock::now() > deadline) {
      throw std::runtime_error("no " + what + " within " + std::to_string(bound.count()) + " s");
    }
    std::this_thread::sleep_for(kSamplePeriod);
  }
}

void pause(std::chrono::milliseconds duration) {
  const auto end = Clock::now() + duration;
  while (Clock::now() < end) {
    check_interrupted();
    std::this_thread::sleep_for(kSamplePeriod);
  }
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A scratch directory removed at the end of the run, whatever ends it.
class ScratchDir {
 public:
  ScratchDir()
      : path_(fs::temp_directory_path() / ("mf-autoscale-bench-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What one look at the API server and the fake nodes shows.
struct Observation {
  int replicas = -1;                  // the Deployment's spec.replicas; -1 before it exists
  std::optional<double> queue_depth;  // the InferenceService's status.queueDepth
  size_t serving = 0;                 // pods a Service would send requests to
};

// Everything the run starts, stopped in reverse order of construction: the load generator (owned
// by each phase), the fake nodes, the operator, the engines, the API server, the scratch files.
class Fleet {
 public:
  explicit Fleet(const Options& options) : options_(options) {
    fakeapi::ApiServerOptions server_options;
    server_options.dir = scratch_.path() / "apiserver";
    server_ = std::make_unique<fakeapi::ApiServer>(server_options);
    server_->start();
    client_ = std::make_unique<kube::ApiClient>(kube::load_kubeconfig(server_->kubeconfig_path()),
                                                kManager);
    client_->apply(
        kCrd,
        fakeapi::yaml_to_json(read_text(fs::path(MF_SOURCE_DIR) /
                                        "crds/inferenceservices.serving.mistral-fleet.dev.yaml")),
        kManager, true);

    const fs::path model = operator_test::synth_tiny_model(scratch_.path());
    std::vector<int> ports;
    for (int i = 0; i < options.engines; ++i) {
      check_interrupted();
      engines_.push_back(std::make_unique<operator_test::EngineProcess>(
          model, scratch_.path() / ("engine-" + std::to_string(i) + ".log")));
      ports.push_back(engines_.back()->port());
    }
    operator_ = std::make_unique<operator_test::OperatorProcess>(
        server_->kubeconfig_path(), operator_log(),
        std::vector<std::string>{"--log-level", "info"});
    client_->create(types::kInferenceService, inference_service());
    await([&] { return observe().replicas >= 1; }, 60s, "Deployment from the operator");
    nodes_ = std::make_unique<operator_test::FakeNodes>(server_->kubeconfig_path(), kNamespace,
                                                        kName, ports);
  }

  Observation observe() {
    Observation seen;
    try {
      seen.replicas =
          client_->get(types::kDeployment, kNamespace, kName)["spec"].value("replicas", -1);
    } catch (const kube::ApiError& e) {
      if (!e.not_found()) throw;
    }
    const json status =
        client_->get(types::kInferenceService, kNamespace, kName).value("status", json::object());
    if (status.contains("queueDepth") && status["queueDepth"].is_number()) {
      seen.queue_depth = status["queueDepth"].get<double>();
    }
    seen.serving = nodes_ ? nodes_->serving_ports().size() : 0;
    return seen;
  }

  // Where the next request goes: round-robin over the pods that exist, as a Service spreads
  // connections. Pod 0 always exists (minReplicas 1), so its engine is the fallback while the
  // fake nodes catch up.
  std::function<std::string()> service_url() {
    return [this, next = std::make_shared<std::atomic<size_t>>(0)] {
      std::vector<int> ports = nodes_->serving_ports();
      if (ports.empty()) ports.push_back(engines_.front()->port());
      const int port = ports[next->fetch_add(1) % ports.size()];
      return "http://127.0.0.1:" + std::to_string(port) + "/v1/completions";
    };
  }

  void set_scale_down_window(int seconds) {
    client_->merge_patch(types::kInferenceService, kNamespace, kName,
                         {{"spec", {{"scaling", {{"scaleDownStabilizationSeconds", seconds}}}}}});
  }

  // mistral_operator_scale_events_total over both directions; -1 when unreadable.
  double operator_scale_events() const {
    return operator_->metric("mistral_operator_scale_events_total");
  }

  std::string operator_log_tail(size_t lines) const {
    const std::string text = read_text(operator_log());
    size_t start = text.size();
    for (size_t n = 0; n <= lines; ++n) {
      if (start == 0) return text;
      start = text.rfind('\n', start - 1);
      if (start == std::string::npos) return text;
    }
    return text.substr(start + 1);
  }

 private:
  fs::path operator_log() const { return scratch_.path() / "operator.log"; }

  // One replica per engine at most, served as "tiny" one sequence at a time, like the engines.
  json inference_service() const {
    return {{"apiVersion", "serving.mistral-fleet.dev/v1alpha1"},
            {"kind", "InferenceService"},
            {"metadata", {{"name", kName}, {"namespace", kNamespace}}},
            {"spec",
             {{"model", {{"uri", "file:///models/tiny.gguf"}, {"servedName", "tiny"}}},
              {"engine", {{"maxNumSeqs", 1}}},
              {"scaling",
               {{"mode", "queueDepth"},
                {"minReplicas", 1},
                {"maxReplicas", options_.engines},
                {"targetQueueDepth", options_.target_queue_depth},
                {"pollIntervalSeconds", options_.poll_interval},
                {"scaleDownStabilizationSeconds", options_.reaction_scale_down_window}}}}}};
  }

  const Options options_;
  ScratchDir scratch_;
  std::unique_ptr<fakeapi::ApiServer> server_;
  std::unique_ptr<kube::ApiClient> client_;
  std::vector<std::unique_ptr<operator_test::EngineProcess>> engines_;
  std::unique_ptr<operator_test::OperatorProcess> operator_;
  std::unique_ptr<operator_test::FakeNodes> nodes_;
};

struct Spread {
  double min = 0, median = 0, max = 0;
};

Spread spread(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  const double median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  return {values.front(), median, values.back()};
}

json to_json(const Spread& s) { return {{"min", s.min}, {"median", s.median}, {"max", s.max}}; }

struct Trial {
  double to_scale = 0;     // load step → the Deployment's spec.replicas changed
  double to_serving = 0;   // load step → a second pod serving
  int scaled_to = 0;       // spec.replicas right after the change
  double to_scale_in = 0;  // load stopped → back to 1 replica
};

struct ReplicaChange {
  double at = 0;  // seconds into the measured window
  int from = 0, to = 0;
};

struct SteadyResult {
  int replicas_at_start = 0;
  std::vector<ReplicaChange> changes;
  std::vector<double> queue_depths;  // status.queueDepth, one sample per kSamplePeriod
  double requests_per_second = 0;
  double operator_scale_events = -1;  // the operator's own count over the window; -1 unknown
};

// The longest a scale-down from N replicas to 1 may take: the window, one rate period per
// replica removed, polls and slack for a loaded machine.
std::chrono::seconds scale_in_bound(const Options& o, int window) {
  return std::chrono::seconds(window + (o.engines - 1) * kScaleDownRatePeriod.count() +
                              4 * o.poll_interval + 60);
}

// One load step: from an idle single replica, C clients at once; back to idle afterwards.
Trial run_trial(Fleet& fleet, const Options& o, std::mt19937& random) {
  await(
      [&] {
        const Observation seen = fleet.observe();
        return seen.replicas == 1 && seen.queue_depth == 0.0 && seen.serving == 1;
      },
      scale_in_bound(o, o.reaction_scale_down_window), "idle single replica");
  // The last scale-down happened at a poll, so stepping now would always land just after one:
  // a random delay gives the step a random phase in the poll cycle, as real load has.
  pause(std::chrono::milliseconds(
      std::uniform_int_distribution<int>(0, o.poll_interval * 1000 - 1)(random)));
  Trial trial;
  const auto step = Clock::now();
  operator_test::LoadGenerator load(fleet.service_url(), o.concurrency);
  await(
      [&] {
        trial.scaled_to = fleet.observe().replicas;
        return trial.scaled_to != 1;
      },
      std::chrono::seconds(4 * o.poll_interval + 30), "scale-up after the load step");
  trial.to_scale = seconds_since(step);
  await([&] { return fleet.observe().serving > 1; }, 30s, "new pod serving");
  trial.to_serving = seconds_since(step);
  load.stop();
  const auto stopped = Clock::now();
  await([&] { return fleet.observe().replicas == 1; },
        scale_in_bound(o, o.reaction_scale_down_window), "scale-down back to 1 replica");
  trial.to_scale_in = seconds_since(stopped);
  return trial;
}

std::vector<Trial> reaction_phase(Fleet& fleet, const Options& o) {
  std::vector<Trial> trials;
  std::mt19937 random{std::random_device{}()};
  for (int i = 0; i < o.trials; ++i) {
    trials.push_back(run_trial(fleet, o, random));
    const Trial& t = trials.back();
    std::fprintf(stderr,
                 "reaction %d/%d: %.2f s to spec.replicas 1→%d, %.2f s to a new pod serving, "
                 "%.1f s back to 1 after the load stopped\n",
                 i + 1, o.trials, t.to_scale, t.scaled_to, t.to_serving, t.to_scale_in);
  }
  return trials;
}

// A constant load with the CRD's default scale-down window: every replica change while it runs
// is a flap, since the load asks for one replica count throughout.
SteadyResult steady_phase(Fleet& fleet, const Options& o) {
  fleet.set_scale_down_window(kSteadyScaleDownWindow);
  operator_test::LoadGenerator load(fleet.service_url(), o.concurrency);
  std::fprintf(stderr, "steady: %d s warm-up, then %d s measured\n", o.warmup, o.duration);
  pause(std::chrono::seconds(o.warmup));

  SteadyResult result;
  const double events_before = fleet.operator_scale_events();
  const int completed_before = load.completed();
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.duration);
  int last = fleet.observe().replicas;
  result.replicas_at_start = last;
  while (Clock::now() < end) {
    check_interrupted();
    const Observation seen = fleet.observe();
    if (seen.replicas != last) {
      result.changes.push_back({seconds_since(start), last, seen.replicas});
      std::fprintf(stderr, "steady: replicas %d→%d at %.1f s\n", last, seen.replicas,
                   seconds_since(start));
      last = seen.replicas;
    }
    if (seen.queue_depth) result.queue_depths.push_back(*seen.queue_depth);
    std::this_thread::sleep_for(kSamplePeriod);
  }
  const double elapsed = seconds_since(start);
  result.requests_per_second = (load.completed() - completed_before) / elapsed;
  const double events_after = fleet.operator_scale_events();
  if (events_before >= 0 && events_after >= 0) {
    result.operator_scale_events = events_after - events_before;
  }
  return result;
}

std::string fixed(double value, int decimals) {
  char text[32];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string replica_sequence(const SteadyResult& s) {
  std::string text = std::to_string(s.replicas_at_start);
  for (const auto& c : s.changes) text += " → " + std::to_string(c.to);
  return text;
}

void print_markdown(const Options& o, const std::vector<Trial>& trials,
                    const SteadyResult& steady) {
  std::vector<double> to_scale, to_serving, to_scale_in;
  for (const Trial& t : trials) {
    to_scale.push_back(t.to_scale);
    to_serving.push_back(t.to_serving);
    to_scale_in.push_back(t.to_scale_in);
  }
  const auto row = [](const std::string& what, const Spread& s, int decimals) {
    std::cout << "| " << what << " | " << fixed(s.min, decimals) << " | "
              << fixed(s.median, decimals) << " | " << fixed(s.max, decimals) << " |\n";
  };
  std::cout << "\n"
            << o.engines << " engines (`--max-num-seqs 1`), " << o.concurrency
            << " closed-loop clients, targetQueueDepth " << o.target_queue_depth
            << ", pollIntervalSeconds " << o.poll_interval << ".\n\n"
            << "| measure | min | median | max |\n| --- | ---: | ---: | ---: |\n";
  row("reaction (" + std::to_string(trials.size()) +
          " load steps): step → Deployment spec.replicas changed, s",
      spread(to_scale), 2);
  row("reaction: step → first new pod serving, s", spread(to_serving), 2);
  row("reaction: load stopped → back to 1 replica (scaleDownStabilizationSeconds " +
          std::to_string(o.reaction_scale_down_window) + "), s",
      spread(to_scale_in), 1);
  row("steady: queue depth (status.queueDepth every 50 ms)", spread(steady.queue_depths), 1);
  std::cout << "\n| steady phase (" << o.duration << " s after " << o.warmup
            << " s warm-up, scaleDownStabilizationSeconds " << kSteadyScaleDownWindow
            << ") | value |\n| --- | ---: |\n"
            << "| spec.replicas changes (flaps) | " << steady.changes.size() << " |\n"
            << "| replica count sequence | " << replica_sequence(steady) << " |\n"
            << "| operator's scale events (mistral_operator_scale_events_total) | "
            << (steady.operator_scale_events < 0 ? std::string("unknown")
                                                 : fixed(steady.operator_scale_events, 0))
            << " |\n"
            << "| completed requests/s | " << fixed(steady.requests_per_second, 1) << " |\n"
            << "\nA load step lands at a random phase of the " << o.poll_interval
            << " s poll, so step → change is about uniform over one poll interval: "
            << fixed(o.poll_interval / 2.0, 1)
            << " s on average, plus the scrape, the reconcile and this driver's 50 ms sampling.\n";
}

void write_json(const Options& o, const std::vector<Trial>& trials, const SteadyResult& steady) {
  json trial_list = json::array();
  std::vector<double> to_scale, to_serving, to_scale_in;
  for (const Trial& t : trials) {
    trial_list.push_back({{"step_to_replicas_change_s", t.to_scale},
                          {"step_to_new_pod_serving_s", t.to_serving},
                          {"scaled_to", t.scaled_to},
                          {"stop_to_one_replica_s", t.to_scale_in}});
    to_scale.push_back(t.to_scale);
    to_serving.push_back(t.to_serving);
    to_scale_in.push_back(t.to_scale_in);
  }
  json changes = json::array();
  for (const auto& c : steady.changes)
    changes.push_back({{"at_s", c.at}, {"from", c.from}, {"to", c.to}});
  const json out = {
      {"config",
       {{"engines", o.engines},
        {"concurrency", o.concurrency},
        {"target_queue_depth", o.target_queue_depth},
        {"poll_interval_s", o.poll_interval},
        {"reaction_scale_down_window_s", o.reaction_scale_down_window},
        {"steady_scale_down_window_s", kSteadyScaleDownWindow},
        {"warmup_s", o.warmup},
        {"duration_s", o.duration}}},
      {"reaction",
       {{"trials", trial_list},
        {"step_to_replicas_change_s", to_json(spread(to_scale))},
        {"step_to_new_pod_serving_s", to_json(spread(to_serving))},
        {"stop_to_one_replica_s", to_json(spread(to_scale_in))}}},
      {"steady",
       {{"replicas_at_start", steady.replicas_at_start},
        {"flaps", steady.changes.size()},
        {"changes", changes},
        {"queue_depth", to_json(spread(steady.queue_depths))},
        {"requests_per_second", steady.requests_per_second},
        {"operator_scale_events",
         steady.operator_scale_events < 0 ? json(nullptr) : json(steady.operator_scale_events)}}}};
  std::ofstream file(o.json_path);
  file << out.dump(2) << "\n";
  if (!file) throw std::runtime_error("cannot write " + o.json_path);
}

int run(const Options& options) {
  std::fprintf(stderr, "starting the API server, %d engines and the operator\n", options.engines);
  Fleet fleet(options);
  try {
    const std::vector<Trial> trials = reaction_phase(fleet, options);
    const SteadyResult steady = steady_phase(fleet, options);
    print_markdown(options, trials, steady);
    if (!options.json_path.empty()) write_json(options, trials, steady);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\nlast lines of the operator's log:\n%s\n", e.what(),
                 fleet.operator_log_tail(30).c_str());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::optional<Options> options;
  try {
    options = parse_options(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "mistral-autoscale-bench: %s\n%s", e.what(), kUsage);
    return 2;
  }
  if (!options) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    return run(*options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mistral-autoscale-bench: %s\n", e.what());
    return 1;
  }
}
