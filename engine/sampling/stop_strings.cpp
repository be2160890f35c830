#include "sampling/stop_strings.h"

#include <algorithm>
#include <utility>

namespace engine {
namespace {

// Length of the trailing UTF-8 sequence in `s` that is missing continuation bytes, or 0.
// Invalid bytes are not held: they will never complete, and holding them would stall output.
size_t incomplete_utf8_tail(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= std::min<size_t>(n, 4); ++back) {
    const auto b = static_cast<unsigned char>(s[n - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    size_t need = 0;
    if ((b & 0xE0) == 0xC0) {
      need = 2;
    } else if ((b & 0xF0) == 0xE0) {
      need = 3;
    } else if ((b & 0xF8) == 0xF0) {
      need = 4;
    }
    return need > back ? back : 0;  // ASCII or invalid lead: need == 0
  }
  return 0;
}

}  // namespace

StopStringMatcher::StopStringMatcher(std::vector<std::string> stop_strings)
    : stops_(std::move(stop_strings)) {}

StopStringMatcher::Result StopStringMatcher::feed(std::string_view chunk) {
  if (matched_) return {"", true};
  held_.append(chunk);

  // First completed stop: smallest end position, then smallest start. Only stops that end in the
  // new text can be found, since held_ had no complete stop before this call.
  size_t best_start = std::string::npos;
  size_t best_end = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const std::string& stop = stops_[i];
    if (stop.empty()) continue;
    const size_t pos = held_.find(stop);
    if (pos == std::string::npos) continue;
    const size_t end = pos + stop.size();
    if (end < best_end || (end == best_end && pos < best_start)) {
      best_start = pos;
      best_end = end;
      matched_ = i;
    }
  }
  if (matched_) {
    Result r{held_.substr(0, best_start), true};
    held_.clear();
    return r;
  }

  // Hold the longest suffix that is a proper prefix of some stop string: anything earlier can
  // no longer be the start of a match.
  size_t hold = 0;
  for (const std::string& stop : stops_) {
    const size_t max_len = std::min(stop.size() - (stop.empty() ? 0 : 1), held_.size());
    for (size_t len = max_len; len > hold; --len) {
      if (std::string_view(held_).substr(held_.size() - len) ==
          std::string_view(stop).substr(0, len)) {
        hold = len;
        break;
      }
    }
  }
  size_t emit = held_.size() - hold;
  // A held stop prefix starts on a character boundary; otherwise don't split a character.
  if (hold == 0) emit -= incomplete_utf8_tail(held_);

  Result r{held_.substr(0, emit), false};
  held_.erase(0, emit);
  return r;
}

std::string StopStringMatcher::finish() {
  if (matched_) return "";
  return std::exchange(held_, std::string());
}

void StopStringMatcher::reset() {
  held_.clear();
  matched_.reset();
}

}  // namespace engine
