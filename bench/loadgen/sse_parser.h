// An incremental parser for server-sent events (text/event-stream). The body arrives in pieces
// that split anywhere, mid-line or between CR and LF, so it keeps the unfinished line and event
// and hands out only complete events.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

class SseParser {
 public:
  // Appends bytes; returns the data of each event they complete (data lines joined by '\n').
  // Events without data lines (comments, bare "event:" or "id:" fields) produce nothing. Throws
  // std::length_error for a line over the limit, which no sane stream sends.
  std::vector<std::string> feed(std::string_view bytes);

  // Whether an event was started but not ended by a blank line: a truncated stream.
  bool mid_event() const { return !line_.empty() || has_data_; }

  static constexpr size_t kMaxLineBytes = 16 << 20;

 private:
  void end_line(std::vector<std::string>& events);

  std::string line_;
  std::string data_;
  bool has_data_ = false;
  bool after_cr_ = false;  // the last byte was CR, so an LF now ends nothing new
};

}  // namespace loadgen
