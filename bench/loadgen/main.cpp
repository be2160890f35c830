// mistral-loadgen: load for OpenAI-compatible servers (mistral-engine serve, vLLM, ...), in the
// place of the k6 scripts people write for it: closed- or open-loop load, streamed answers timed
// token by token, and a report of throughput and latency percentiles. See usage_text().
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>

#include "http_url.h"
#include "load_client.h"
#include "load_runner.h"
#include "options.h"
#include "report.h"
#include "server_probe.h"
#include "stats.h"

namespace loadgen {
namespace {

constexpr int kExitNoneOk = 1, kExitUsage = 2;

void warn(const std::string& message) {
  std::fprintf(stderr, "mistral-loadgen: warning: %s\n", message.c_str());
}

net::awaitable<int> session(Options options, LoadClient& client, std::string target,
                            net::signal_set& signals) {
  // Nothing is measured yet while probing, so a signal then just ends the program.
  signals.async_wait([](const beast::error_code& ec, int) {
    if (!ec) std::_Exit(130);
  });
  const ServerInfo server = co_await probe_server(client, options);
  signals.cancel();
  for (const std::string& w : server.warnings) warn(w);
  options.model = server.model;
  if (server.max_model_len && options.prompt_tokens + options.max_tokens > *server.max_model_len) {
    warn("--prompt-tokens + --max-tokens exceed the model's " +
         std::to_string(*server.max_model_len) + "-token context; expect HTTP 400s");
  }

  const Workload workload(options, server.model, server.fit);
  LoadRunner runner(options, client, workload);
  // The first signal ends the run with a report of what it has; a second one ends it at once.
  signals.async_wait([&signals, &runner](const beast::error_code& ec, int) {
    if (ec) return;
    std::fprintf(stderr, "mistral-loadgen: interrupted; reporting what was measured\n");
    runner.interrupt();
    signals.async_wait([](const beast::error_code& again, int) {
      if (!again) std::_Exit(130);
    });
  });
  std::fprintf(stderr, "mistral-loadgen: %s, model %s, prompts of %d words\n", target.c_str(),
               options.model.empty() ? "(unnamed)" : options.model.c_str(),
               server.fit.words_for(options.prompt_tokens));
  const RunOutcome outcome = co_await runner.run();
  signals.cancel();

  const Summary summary = summarize(outcome);
  const ReportInput report{options, server, target, outcome, summary};
  print_report(stdout, report);
  if (!options.json_path.empty()) {
    std::ofstream file(options.json_path);
    // Server messages are cut to length, possibly inside a UTF-8 sequence: replace, not throw.
    file << report_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
         << "\n";
    if (!file.flush()) {
      std::fprintf(stderr, "mistral-loadgen: cannot write %s\n", options.json_path.c_str());
      co_return kExitUsage;
    }
  }
  co_return summary.ok > 0 ? 0 : kExitNoneOk;
}

int run_main(const std::vector<std::string>& args) {
  Options options;
  HttpUrl url;
  try {
    options = parse_options(args);
    if (options.help) {
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    }
    url = parse_http_url(options.url);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "mistral-loadgen: %s\n(see mistral-loadgen --help)\n", e.what());
    return kExitUsage;
  }

  // One thread runs everything: the client's work per streamed chunk is tiny, and one thread
  // keeps the timestamps free of cross-thread handoffs.
  net::io_context io(1);
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) {
    std::fprintf(stderr, "mistral-loadgen: cannot resolve %s: %s\n", url.host.c_str(),
                 ec.message().c_str());
    return kExitUsage;
  }
  LoadClient client(url, endpoints, options.api_key,
                    std::chrono::duration<double>(options.timeout_s));
  net::signal_set signals(io, SIGINT, SIGTERM);
  const std::string target =
      "http://" + url.host_header + url.base_path + endpoint_path(options.endpoint);

  int status = kExitNoneOk;
  net::co_spawn(io, session(options, client, target, signals),
                [&status](std::exception_ptr e, int rc) {
                  if (!e) {
                    status = rc;
                    return;
                  }
                  try {
                    std::rethrow_exception(e);
                  } catch (const std::exception& ex) {
                    std::fprintf(stderr, "mistral-loadgen: %s\n", ex.what());
                  }
                });
  io.run();
  return status;
}

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
  return loadgen::run_main(std::vector<std::string>(argv + 1, argv + argc));
}
