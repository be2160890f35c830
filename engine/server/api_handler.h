// The routes of `mistral-engine serve`: OpenAI's /v1 API, vLLM's /tokenize and /detokenize,
// /health and /metrics. Requests become sequences of the ServingEngine; their outputs flow back
// to the client whole or as server-sent events.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_server.h"
#include "serving/engine_metrics.h"
#include "serving/serving_engine.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace engine::server {

using ::http::server::Exchange;
using ::http::server::Request;
namespace http = boost::beast::http;
namespace net = boost::asio;

class ApiHandler {
 public:
  ApiHandler(std::string served_model_name, EngineMetrics& metrics);

  // Once the model is loaded: from then on completions are served and /health answers 200.
  void set_ready(ServingEngine& engine, const Tokenizer& tokenizer);
  // SIGTERM: /health answers 503 and new work is refused; what runs finishes.
  void begin_drain() { draining_ = true; }

  void handle(const Request& req, std::shared_ptr<Exchange> ex);

 private:
  void completions(const Request& req, std::shared_ptr<Exchange> ex, bool chat);
  void tokenize(const Request& req, std::shared_ptr<Exchange> ex);
  void detokenize(const Request& req, std::shared_ptr<Exchange> ex);
  void models(std::shared_ptr<Exchange> ex);
  void health(std::shared_ptr<Exchange> ex);
  // Throws ApiError (503) unless completions can be served now.
  void require_ready() const;

  const std::string model_name_;
  EngineMetrics& metrics_;
  const int64_t created_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
  ServingEngine* engine_ = nullptr;  // set before ready_ turns true
  const Tokenizer* tokenizer_ = nullptr;
  ChatTemplate chat_template_ = ChatTemplate::V1;
  std::atomic<uint64_t> next_request_ = 0;
};

// OpenAI's error body for a status and message; used for requests that never reach a route.
std::string error_json(http::status status, const std::string& message);

}  // namespace engine::server
