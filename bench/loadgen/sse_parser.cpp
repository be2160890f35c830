#include "sse_parser.h"

namespace loadgen {

std::vector<std::string> SseParser::feed(std::string_view bytes) {
  std::vector<std::string> events;
  for (const char c : bytes) {
    if (c == '\n' && after_cr_) {
      after_cr_ = false;
      continue;
    }
    after_cr_ = c == '\r';
    if (c == '\n' || c == '\r') {
      end_line(events);
      continue;
    }
    if (line_.size() >= kMaxLineBytes) throw std::length_error("an SSE line exceeds 16 MiB");
    line_ += c;
  }
  return events;
}

void SseParser::end_line(std::vector<std::string>& events) {
  if (line_.empty()) {  // a blank line ends the event
    if (has_data_) events.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line_.front() != ':') {  // ':' starts a comment (servers send them as keep-alives)
    const size_t colon = line_.find(':');
    const std::string_view field = std::string_view(line_).substr(0, colon);
    if (field == "data") {
      std::string_view value;
      if (colon != std::string::npos) {
        value = std::string_view(line_).substr(colon + 1);
        if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      }
      if (has_data_) data_ += '\n';
      data_ += value;
      has_data_ = true;
    }
    // event, id and retry fields mean nothing to a completion stream.
  }
  line_.clear();
}

}  // namespace loadgen
