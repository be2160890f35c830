#include "autoscaling/engine_scrape.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <string_view>
#include <system_error>
#include <thread>

#include "http/http_client.h"

namespace autoscaling {

namespace {

using SteadyClock = std::chrono::steady_clock;

void add(std::optional<double>& sum, double v) { sum = sum.value_or(0) + v; }

std::optional<EngineLoad> scrape_one(http::Client& client, const ScrapeTarget& target,
                                     std::chrono::milliseconds timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  http::Request request;
  request.url = target.url;
  request.timeout = timeout;
  // vLLM negotiates the format: asking for 0.0.4 keeps it from answering in OpenMetrics.
  request.headers = {{"Accept", "text/plain;version=0.0.4"}};
  std::string body;
  std::string why;
  try {
    const http::Response response = client.stream(request, [&](std::string_view piece) {
      if (body.size() + piece.size() > kMaxScrapeBodyBytes) {
        why = "the body exceeds " + std::to_string(kMaxScrapeBodyBytes >> 20) + " MiB";
        return false;
      }
      if (SteadyClock::now() > deadline) {
        why = "reading the body took longer than " + std::to_string(timeout.count()) + " ms";
        return false;
      }
      body.append(piece);
      return true;
    });
    if (why.empty() && response.status != 200) {
      why = "HTTP status " + std::to_string(response.status);
    }
    if (why.empty()) {
      if (std::optional<EngineLoad> load = engine_load(prom::parse_text(body))) return load;
      why = "no vllm:num_requests_waiting in the metrics";
    }
  } catch (const prom::ParseError& e) {
    why = std::string("the metrics do not parse: ") + e.what();
  } catch (const std::exception& e) {
    // TransportError, a malformed URL, or memory running out: all mean no metrics this time.
    why = e.what();
  }
  spdlog::debug("scraping pod {} at {} failed: {}", target.pod, target.url, why);
  return std::nullopt;
}

}  // namespace

std::optional<EngineLoad> engine_load(const std::vector<prom::Sample>& samples) {
  std::optional<double> waiting, running, kv_cache, gpu_cache;
  for (const prom::Sample& s : samples) {
    if (s.name == "vllm:num_requests_waiting") {
      add(waiting, s.value);
    } else if (s.name == "vllm:num_requests_running") {
      add(running, s.value);
    } else if (s.name == "vllm:kv_cache_usage_perc") {
      add(kv_cache, s.value);
    } else if (s.name == "vllm:gpu_cache_usage_perc") {
      add(gpu_cache, s.value);
    }
  }
  if (!waiting) return std::nullopt;
  return EngineLoad{.waiting = *waiting,
                    .running = running.value_or(0),
                    .kv_cache_usage = kv_cache ? *kv_cache : gpu_cache.value_or(0)};
}

std::vector<std::optional<EngineLoad>> scrape_engines(const std::vector<ScrapeTarget>& targets,
                                                      std::chrono::milliseconds timeout,
                                                      int parallelism) {
  std::vector<std::optional<EngineLoad>> results(targets.size());
  if (targets.empty()) return results;
  std::atomic<size_t> next{0};
  // Each worker takes the next target until none is left, so a slow target holds up one worker
  // and the others carry on.
  const auto work = [&] {
    try {
      http::Client client;
      for (size_t i = next++; i < targets.size(); i = next++) {
        results[i] = scrape_one(client, targets[i], timeout);
      }
    } catch (const std::exception& e) {
      // The client could not be set up; the other workers take the remaining targets.
      spdlog::debug("a metrics scraper could not start: {}", e.what());
    }
  };
  const size_t workers = std::min(targets.size(), static_cast<size_t>(std::max(1, parallelism)));
  std::vector<std::jthread> threads;
  threads.reserve(workers - 1);
  for (size_t w = 1; w < workers; ++w) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error& e) {
      spdlog::debug("scraping with {} threads instead of {}: {}", w, workers, e.what());
      break;
    }
  }
  work();           // the calling thread is a worker too
  threads.clear();  // joins: the results are complete only once every worker is done
  return results;
}

}  // namespace autoscaling
