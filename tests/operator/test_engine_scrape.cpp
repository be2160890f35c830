// Reading replicas' load from their /metrics: the gauges an engine exposes become an EngineLoad;
// scraping many pods gives one result per pod, in order, and every way a pod can fail (error
// status, garbage, not an engine, refused connection, silence, an oversized body) is a nullopt for
// that pod alone, within the timeout.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>

#include "autoscaling/engine_scrape.h"
#include "loopback_http_server.h"
#include "prometheus/metrics.h"
#include "prometheus/text_parser.h"

namespace {

using autoscaling::engine_load;
using autoscaling::EngineLoad;
using autoscaling::kMaxScrapeBodyBytes;
using autoscaling::scrape_engines;
using autoscaling::ScrapeTarget;
using test_support::LoopbackHttpServer;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

// The metrics an engine serving `model` exposes: the gauges the autoscaler reads among the
// counters and histograms around them, all with the model_name label the engine puts on everything.
std::string engine_metrics(const std::string& model, double waiting, double running, double kv) {
  prom::Registry registry({{"model_name", model}});
  registry.gauge("vllm:num_requests_running", "Running.").with().set(running);
  registry.gauge("vllm:num_requests_waiting", "Waiting.").with().set(waiting);
  registry.gauge("vllm:kv_cache_usage_perc", "KV usage.").with().set(kv);
  registry.gauge("vllm:gpu_cache_usage_perc", "KV usage, old name.").with().set(kv);
  registry.counter("vllm:request_success_total", "Done.")
      .with({{"finished_reason", "stop"}})
      .inc(9);
  auto& latency = registry.histogram("vllm:e2e_request_latency_seconds", "E2E.", {0.5, 1, 5});
  latency.with().observe(0.7);
  return registry.render();
}

void expect_load(const std::optional<EngineLoad>& load, double waiting, double running, double kv) {
  ASSERT_TRUE(load.has_value());
  EXPECT_DOUBLE_EQ(load->waiting, waiting);
  EXPECT_DOUBLE_EQ(load->running, running);
  EXPECT_DOUBLE_EQ(load->kv_cache_usage, kv);
}

void respond_text(const std::shared_ptr<http::server::Exchange>& ex, std::string body,
                  bhttp::status status = bhttp::status::ok) {
  ex->respond(status, "text/plain; version=0.0.4", std::move(body));
}

TEST(EngineLoad, ReadsTheEnginesGauges) {
  expect_load(engine_load(prom::parse_text(engine_metrics("m", 5, 3, 0.25))), 5, 3, 0.25);
}

TEST(EngineLoad, SumsOverLabelSets) {
  const auto samples =
      prom::parse_text(engine_metrics("a", 1, 2, 0.125) + engine_metrics("b", 4, 8, 0.5));
  expect_load(engine_load(samples), 5, 10, 0.625);
}

TEST(EngineLoad, OlderKvCacheNameOnlyWhenTheNewOneIsAbsent) {
  expect_load(engine_load(prom::parse_text("vllm:num_requests_waiting 1\n"
                                           "vllm:gpu_cache_usage_perc{engine=\"0\"} 0.5\n")),
              1, 0, 0.5);
  expect_load(engine_load(prom::parse_text("vllm:num_requests_waiting 1\n"
                                           "vllm:gpu_cache_usage_perc 0.9\n"
                                           "vllm:kv_cache_usage_perc 0.25\n")),
              1, 0, 0.25);
}

TEST(EngineLoad, WithoutTheWaitingGaugeItIsNotAnEngine) {
  EXPECT_FALSE(
      engine_load(prom::parse_text("vllm:num_requests_running 3\n"
                                   "vllm:kv_cache_usage_perc 0.5\n"
                                   "process_cpu_seconds_total 12\n")));
  EXPECT_FALSE(engine_load({}));
  // Absent others read as idle: the queue alone is enough to scale on.
  expect_load(engine_load(prom::parse_text("vllm:num_requests_waiting 0\n")), 0, 0, 0);
}

TEST(EngineScrape, ReadsEveryTargetInOrder) {
  std::atomic<int> accepts_text{0};
  LoopbackHttpServer server([&](const http::server::Request& req, auto ex) {
    if (req[bhttp::field::accept].find("version=0.0.4") != std::string::npos) ++accepts_text;
    const std::string target(req.target());
    // /metrics/N: an engine whose queue holds N requests.
    const double n = std::stod(target.substr(target.rfind('/') + 1));
    respond_text(ex, engine_metrics("m", n, n / 2, n / 100));
  });
  std::vector<ScrapeTarget> targets;
  for (int i = 0; i < 12; ++i) {
    targets.push_back({"pod-" + std::to_string(i), server.url("/metrics/" + std::to_string(i))});
  }
  const auto loads = scrape_engines(targets, 5s, 3);
  ASSERT_EQ(loads.size(), targets.size());
  for (size_t i = 0; i < loads.size(); ++i) {
    SCOPED_TRACE(i);
    const double n = static_cast<double>(i);
    expect_load(loads[i], n, n / 2, n / 100);
  }
  EXPECT_EQ(accepts_text.load(), 12);
  EXPECT_TRUE(scrape_engines({}, 1s).empty());
}

TEST(EngineScrape, EachFailureIsANulloptForThatPodAlone) {
  LoopbackHttpServer server([&](const http::server::Request& req, auto ex) {
    const std::string target(req.target());
    if (target == "/ok") {
      respond_text(ex, engine_metrics("m", 7, 1, 0.5));
    } else if (target == "/error") {
      respond_text(ex, engine_metrics("m", 7, 1, 0.5), bhttp::status::internal_server_error);
    } else if (target == "/garbage") {
      respond_text(ex, "<html><body>Hello {{{</body></html>\n");
    } else if (target == "/not-an-engine") {
      respond_text(ex, "# TYPE up gauge\nup 1\nprocess_open_fds 12\n");
    } else if (target == "/redirect") {
      ex->respond(bhttp::status::found, "text/plain", "", {{"Location", "/ok"}});
    } else {
      respond_text(ex, "not found\n", bhttp::status::not_found);
    }
  });
  const std::string closed =
      "http://127.0.0.1:" + std::to_string(test_support::closed_loopback_port()) + "/metrics";
  const std::vector<ScrapeTarget> targets = {
      {"ok", server.url("/ok")},
      {"error", server.url("/error")},
      {"garbage", server.url("/garbage")},
      {"not-an-engine", server.url("/not-an-engine")},
      {"missing", server.url("/missing")},
      {"redirect", server.url("/redirect")},
      {"closed-port", closed},
      {"bad-url", "not a url"},
      {"ok-again", server.url("/ok")},
  };
  const auto loads = scrape_engines(targets, 5s);
  ASSERT_EQ(loads.size(), targets.size());
  expect_load(loads[0], 7, 1, 0.5);
  for (size_t i = 1; i + 1 < targets.size(); ++i) {
    EXPECT_FALSE(loads[i].has_value()) << targets[i].pod;
  }
  expect_load(loads.back(), 7, 1, 0.5);
}

TEST(EngineScrape, SilentServersAreGivenUpAfterTheTimeout) {
  // Answers that would come long after the test ends: a request never answered, and a body that
  // stops halfway. The timers go away, unanswered, with the server.
  LoopbackHttpServer server([&](const http::server::Request& req, auto ex) {
    const std::string target(req.target());
    if (target == "/ok") return respond_text(ex, engine_metrics("m", 2, 1, 0.5));
    if (target == "/stalled-body") {
      ex->start_stream("text/plain; version=0.0.4");
      ex->send_chunk("vllm:num_requests_waiting 1\n");
    }
    auto never = std::make_shared<net::steady_timer>(server.ioc(), 1h);
    never->async_wait([never, ex](boost::system::error_code) {});
  });
  const std::vector<ScrapeTarget> targets = {{"silent", server.url("/silent")},
                                             {"stalled-body", server.url("/stalled-body")},
                                             {"ok", server.url("/ok")}};
  const auto timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  const auto loads = scrape_engines(targets, timeout);
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(loads.size(), 3u);
  EXPECT_FALSE(loads[0].has_value());
  EXPECT_FALSE(loads[1].has_value());
  expect_load(loads[2], 2, 1, 0.5);
  EXPECT_GE(took, timeout);
  // At most twice the timeout for the stalled body, with room for a loaded machine.
  EXPECT_LT(took, 10 * timeout);
}

TEST(EngineScrape, BodiesOverTheLimitAreRefused) {
  // Comment lines pad a real body to an exact size: the limit itself is allowed, a byte more not.
  const auto padded = [](size_t size) {
    std::string body = engine_metrics("m", 3, 2, 0.5);
    const std::string line = "# " + std::string(1000, 'p') + "\n";
    while (body.size() + line.size() + 2 <= size) body += line;
    body += "#" + std::string(size - body.size() - 2, 'q') + "\n";
    return body;
  };
  const std::string at_limit = padded(kMaxScrapeBodyBytes);
  const std::string over_limit = padded(kMaxScrapeBodyBytes + 1);
  ASSERT_EQ(at_limit.size(), kMaxScrapeBodyBytes);
  ASSERT_EQ(over_limit.size(), kMaxScrapeBodyBytes + 1);
  LoopbackHttpServer server([&](const http::server::Request& req, auto ex) {
    if (req.target() == "/at-limit") return respond_text(ex, at_limit);
    if (req.target() == "/over-limit") return respond_text(ex, over_limit);
    respond_text(ex, std::string(16 << 20, '#'));  // far over: never read whole
  });
  const auto loads = scrape_engines({{"at", server.url("/at-limit")},
                                     {"over", server.url("/over-limit")},
                                     {"huge", server.url("/huge")}},
                                    10s);
  ASSERT_EQ(loads.size(), 3u);
  expect_load(loads[0], 3, 2, 0.5);
  EXPECT_FALSE(loads[1].has_value());
  EXPECT_FALSE(loads[2].has_value());
}

TEST(EngineScrape, AtMostParallelismRequestsAtOnce) {
  // Each answer waits a little, so requests overlap as far as the scraper lets them. The handler
  // and the timers run on the server's one thread, which alone writes the counters.
  std::atomic<int> in_flight{0}, most{0}, served{0};
  LoopbackHttpServer server([&](const http::server::Request&, auto ex) {
    most = std::max(most.load(), ++in_flight);
    auto timer = std::make_shared<net::steady_timer>(server.ioc(), 30ms);
    timer->async_wait([&, timer, ex](boost::system::error_code) {
      --in_flight;
      ++served;
      respond_text(ex, engine_metrics("m", 1, 1, 0.1));
    });
  });
  std::vector<ScrapeTarget> targets(24, ScrapeTarget{"pod", server.url("/metrics")});
  const auto loads = scrape_engines(targets, 5s, 4);
  ASSERT_EQ(loads.size(), targets.size());
  for (const auto& load : loads) EXPECT_TRUE(load.has_value());
  EXPECT_EQ(served.load(), 24);
  EXPECT_LE(most.load(), 4);
  EXPECT_GE(most.load(), 2);
  // A parallelism below one still scrapes, one at a time.
  const auto one = scrape_engines({{"pod", server.url("/metrics")}}, 5s, 0);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_TRUE(one[0].has_value());
}

}  // namespace
