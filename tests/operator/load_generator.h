// Clients that keep completions in flight against engines, for end-to-end tests and benchmarks of
// queue-depth autoscaling.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"

namespace operator_test {

// `concurrency` clients that each send one completion after another until stopped: a closed
// loop, so the requests in the system stay at `concurrency`. With --max-num-seqs 1 all but one per
// engine wait in its queue.
class LoadGenerator {
 public:
  // `next_url` picks the completions URL for each request (a Service spreading the load); it is
  // called from the clients' threads and must be thread-safe.
  LoadGenerator(std::function<std::string()> next_url, int concurrency)
      : next_url_(std::move(next_url)) {
    for (int i = 0; i < concurrency; ++i) threads_.emplace_back([this] { run(); });
  }
  LoadGenerator(const std::string& url, int concurrency)
      : LoadGenerator([url] { return url; }, concurrency) {}
  ~LoadGenerator() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  int completed() const { return completed_; }

 private:
  void run() {
    http::Client client;
    while (!stop_) {
      http::Request request;
      request.method = "POST";
      request.url = next_url_();
      request.headers = {{"Content-Type", "application/json"}};
      request.body =
          nlohmann::json{{"model", "tiny"}, {"prompt", "Once upon a time"}, {"max_tokens", 48}}
              .dump();
      request.timeout = std::chrono::seconds(30);
      try {
        if (client.send(request).status == 200) ++completed_;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  const std::function<std::string()> next_url_;
  std::atomic<bool> stop_{false};
  std::atomic<int> completed_{0};
  std::vector<std::thread> threads_;
};

}  // namespace operator_test
