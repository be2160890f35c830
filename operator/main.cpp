// mistral-operator: reconciles InferenceServices into Deployments, Services and
// PodDisruptionBudgets, with leader election, Prometheus metrics and health
// probes.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/args.h"
#include "controller/event_recorder.h"
#include "controller/inference_service_controller.h"
#include "controller/json_log_format.h"
#include "controller/leader_election.h"
#include "controller/operator_metrics.h"
#include "controller/rbac_rules.h"
#include "http/http_server.h"
#include "kube/api_client.h"
#include "kube/cluster_config.h"

namespace {

constexpr const char* kUsage = R"(usage: mistral-operator [options]

Watches InferenceServices (serving.mistral-fleet.dev/v1alpha1) and runs each as a Deployment of
mistral-engine replicas behind a Service.

options:
  --kubeconfig FILE          default: $KUBECONFIG, ~/.kube/config, else in-cluster
  --context NAME             kubeconfig context (default: its current-context)
  --namespace NS             watch only NS (default: every namespace)
  --engine-image IMAGE       engine image for accelerator cpu (required unless every
                             InferenceService sets spec.engine.image)
  --engine-image-vulkan IMAGE  engine image for accelerator vulkan
  --image-pull-policy P      Always, IfNotPresent or Never (default: the cluster's)
  --drain-timeout SECONDS    engines' drain on shutdown (default 30)
  --workers N                concurrent reconciles (default 4)
  --resync-period SECONDS    reconcile everything at least this often (default 600)
  --leader-elect             run several replicas; one leads (Lease)
  --leader-election-namespace NS  default: the operator's own namespace
  --leader-election-id NAME  the Lease's name (default mistral-operator)
  --leader-election-lease-duration SECONDS  a standby takes over after this (default 15)
  --leader-election-renew-deadline SECONDS  the leader gives up after failing this long (10)
  --leader-election-retry-period SECONDS    between attempts (default 2)
  --metrics-bind-address ADDR:PORT  /metrics (default 0.0.0.0:8080)
  --health-probe-bind-address ADDR:PORT  /healthz and /readyz (default 0.0.0.0:8081)
  --log-level LEVEL          trace, debug, info, warn, error (default info)
  --log-format FORMAT        text or json (default text)
  --print-rbac-rules         print the RBAC rules the operator needs (JSON) and exit
)";

namespace net = boost::asio;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;

tcp::endpoint parse_endpoint(const std::string& flag, const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) throw cli::UsageError("--" + flag + " must be ADDRESS:PORT");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  boost::system::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  int port = -1;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (ec || port < 0 || port > 65535) {
    throw cli::UsageError("--" + flag + ": '" + text + "' is not ADDRESS:PORT");
  }
  return {address, static_cast<unsigned short>(port)};
}

std::string default_identity() {
  char host[256] = "mistral-operator";
  ::gethostname(host, sizeof host - 1);
  std::mt19937 rng{std::random_device{}()};
  char suffix[12];
  std::snprintf(suffix, sizeof suffix, "_%08x", static_cast<unsigned>(rng()));
  return std::string(host) + suffix;
}

int run(const std::vector<std::string>& argv) {
  const cli::Args args(
      argv,
      {"kubeconfig", "context", "namespace", "engine-image", "engine-image-vulkan",
       "image-pull-policy", "drain-timeout", "workers", "resync-period",
       "leader-election-namespace", "leader-election-id", "leader-election-lease-duration",
       "leader-election-renew-deadline", "leader-election-retry-period", "metrics-bind-address",
       "health-probe-bind-address", "log-level", "log-format"},
      {"leader-elect"});
  if (!args.positional().empty()) {
    throw cli::UsageError("unexpected argument '" + args.positional().front() + "'");
  }
  const std::string log_format = args.str("log-format", "text");
  if (log_format == "json") {
    controller::use_json_logs();
  } else if (log_format != "text") {
    throw cli::UsageError("--log-format must be text or json");
  }
  spdlog::set_level(spdlog::level::from_str(args.str("log-level", "info")));

  kube::ApiClient client(
      kube::default_cluster_config(args.str("kubeconfig", ""), args.str("context", "")));
  controller::ControllerOptions options;
  options.watch_namespace = args.str("namespace", "");
  options.workers = static_cast<int>(args.integer("workers", 4, 1, 64));
  options.resync_period = std::chrono::seconds(args.integer("resync-period", 600, 10, 86400));
  auto& defaults = options.engine_defaults;
  defaults.cpu_image = args.str("engine-image", "");
  defaults.vulkan_image = args.str("engine-image-vulkan", "");
  defaults.image_pull_policy = args.str("image-pull-policy", "");
  if (!defaults.image_pull_policy.empty() && defaults.image_pull_policy != "Always" &&
      defaults.image_pull_policy != "IfNotPresent" && defaults.image_pull_policy != "Never") {
    throw cli::UsageError("--image-pull-policy must be Always, IfNotPresent or Never");
  }
  defaults.drain_timeout_seconds = static_cast<int>(args.integer("drain-timeout", 30, 0, 86400));
  const tcp::endpoint metrics_endpoint =
      parse_endpoint("metrics-bind-address", args.str("metrics-bind-address", "0.0.0.0:8080"));
  const tcp::endpoint probe_endpoint = parse_endpoint(
      "health-probe-bind-address", args.str("health-probe-bind-address", "0.0.0.0:8081"));

  try {
    const nlohmann::json version = client.version();
    defaults.lifecycle_sleep_action = resources::lifecycle_sleep_supported(version);
    spdlog::info("API server {} ({})", client.config().server, version.value("gitVersion", "?"));
  } catch (const std::exception& e) {
    spdlog::warn("API server {}: /version failed ({}); going on", client.config().server, e.what());
  }

  const std::string identity = default_identity();
  controller::OperatorMetrics metrics;
  controller::EventRecorder events(client, "mistral-operator", identity);
  controller::InferenceServiceController controller(client, options, metrics, events);
  controller.start_informers();

  net::io_context ioc;
  const auto handler = [&](const http::server::Request& req,
                           std::shared_ptr<http::server::Exchange> ex) {
    const std::string target(req.target());
    const std::string path = target.substr(0, target.find('?'));
    if (path == "/metrics") {
      ex->respond(beast_http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                  metrics.registry.render());
    } else if (path == "/healthz") {
      ex->respond(beast_http::status::ok, "text/plain", "ok\n");
    } else if (path == "/readyz") {
      // Ready once the caches are filled: a standby replica is ready to take
      // over.
      const bool synced = controller.wait_synced(std::chrono::milliseconds(0));
      ex->respond(synced ? beast_http::status::ok : beast_http::status::service_unavailable,
                  "text/plain", synced ? "ok\n" : "informer caches not synced\n");
    } else {
      ex->respond(beast_http::status::not_found, "text/plain", "404 page not found\n");
    }
  };
  const auto error_body = [](beast_http::status, const std::string& message) {
    return message + "\n";
  };
  http::server::HttpServer metrics_server(ioc, metrics_endpoint, {}, handler, error_body);
  http::server::HttpServer probe_server(ioc, probe_endpoint, {}, handler, error_body);
  spdlog::info(
      "metrics on {}:{}, probes on {}:{}", metrics_server.local_endpoint().address().to_string(),
      metrics_server.local_endpoint().port(), probe_server.local_endpoint().address().to_string(),
      probe_server.local_endpoint().port());

  std::unique_ptr<controller::LeaderElector> elector;
  if (args.flag("leader-elect")) {
    controller::LeaderElectionConfig le;
    le.ns = args.str("leader-election-namespace", client.config().namespace_name);
    le.name = args.str("leader-election-id", "mistral-operator");
    le.identity = identity;
    le.lease_duration =
        std::chrono::seconds(args.integer("leader-election-lease-duration", 15, 1, 3600));
    le.renew_deadline =
        std::chrono::seconds(args.integer("leader-election-renew-deadline", 10, 1, 3600));
    le.retry_period = std::chrono::seconds(args.integer("leader-election-retry-period", 2, 1, 600));
    if (le.renew_deadline >= le.lease_duration || le.retry_period >= le.renew_deadline) {
      throw cli::UsageError(
          "leader election needs retry-period < "
          "renew-deadline < lease-duration");
    }
    elector = std::make_unique<controller::LeaderElector>(client, le);
  }

  std::atomic<bool> stopping{false};
  int exit_code = 0;
  std::thread leading([&] {
    if (elector && !elector->acquire()) return;
    metrics.leader.set(1);
    controller.start_workers();
    if (!elector) return;
    elector->hold();
    metrics.leader.set(0);
    if (!stopping) {
      // Another replica may be reconciling already: stop at once, as
      // controller-runtime does.
      spdlog::error("leader election lost; exiting");
      exit_code = 1;
      net::post(ioc, [&ioc] { ioc.stop(); });
    }
  });

  net::signal_set signals(ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: shutting down", signal);
    stopping = true;
    ioc.stop();
  });
  ioc.run();
  stopping = true;
  if (elector) elector->stop();
  leading.join();
  controller.stop();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args == std::vector<std::string>{"--print-rbac-rules"}) {
    std::puts(controller::required_rbac_rules().dump(2).c_str());
    return 0;
  }
  try {
    return run(args);
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "mistral-operator: %s\n(see mistral-operator --help)\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mistral-operator: error: %s\n", e.what());
    return 1;
  }
}
