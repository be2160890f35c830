// Turns one completion response into a RequestResult as its bytes arrive: the SSE events of a
// streamed answer (timing each chunk that carries text) or the JSON of a whole one. Knows the
// OpenAI shapes of both endpoints; knows nothing of sockets, so it is easy to feed by hand.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "options.h"
#include "request_result.h"
#include "sse_parser.h"

namespace loadgen {

class ResponseMeter {
 public:
  ResponseMeter(Endpoint endpoint, bool stream, Clock::time_point start);

  // The status line and headers have arrived.
  void on_header(int status, std::string_view content_type);
  void on_body(std::string_view bytes, Clock::time_point now);
  // The body is complete (the transport reported no error): judge the response.
  RequestResult finish(Clock::time_point now);

 private:
  void on_event(const std::string& data, Clock::time_point now);
  void on_usage(const nlohmann::json& usage);
  void malformed(const std::string& what);

  const Endpoint endpoint_;
  const bool stream_;
  int status_ = 0;
  RequestResult result_;
  SseParser sse_;
  std::string body_;  // whole answers and error bodies; streamed events go through sse_
  std::string problem_, problem_detail_;
  bool done_ = false;  // saw "data: [DONE]"
  Clock::time_point last_content_;
};

// Trims a message to one line of at most `limit` bytes for the report.
std::string one_line(std::string_view text, size_t limit = 160);

}  // namespace loadgen
