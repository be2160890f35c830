// Streaming stop-string detection over generated text, with OpenAI semantics: text before the
// stop string is emitted, the stop string itself and anything after it are not.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

// Fed detokenized chunks as they are produced; returns what is safe to send to the client now.
// It holds back the longest tail that could still grow into a stop string (so a stop string
// split across chunks is never partly emitted) and a trailing incomplete UTF-8 sequence (so
// every emitted piece is whole characters). Generation stops at the first point in the stream
// where some stop string is complete; if several complete there, the one starting earliest
// wins. That rule gives the same output however the text is chunked.
class StopStringMatcher {
 public:
  struct Result {
    std::string text;      // safe to emit now (may be empty)
    bool stopped = false;  // a stop string completed; emit `text`, then end the sequence
  };

  // Empty stop strings are ignored (they would match everywhere).
  explicit StopStringMatcher(std::vector<std::string> stop_strings);

  // After a stop, further calls return {"", true}.
  Result feed(std::string_view chunk);

  // End of generation (EOS, length limit): releases the held-back text, which did not turn into
  // a stop string. Empty after a stop.
  std::string finish();

  bool stopped() const { return matched_.has_value(); }
  // Index into the constructor's list of the stop string that ended generation.
  std::optional<size_t> matched_index() const { return matched_; }
  // Bytes currently withheld.
  size_t held_size() const { return held_.size(); }
  const std::vector<std::string>& stop_strings() const { return stops_; }

  // Forget all state to reuse the matcher for a new sequence with the same stop strings.
  void reset();

 private:
  std::vector<std::string> stops_;  // as given, empties included, so indices match the caller's
  std::string held_;                // withheld tail; always a prefix of a stop or partial UTF-8
  std::optional<size_t> matched_;
};

}  // namespace engine
