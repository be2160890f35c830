// Prompts of random everyday words. Each request index gets its own text, the same for the same
// (seed, index), so runs repeat exactly while the server's prefix cache finds nothing to share
// between requests (a shared prefix would make prefill look cheaper than it is).
#pragma once

#include <cstdint>
#include <string>

namespace loadgen {

class PromptBuilder {
 public:
  explicit PromptBuilder(uint64_t seed) : seed_(seed) {}

  // About n_words words in short sentences.
  std::string build(uint64_t index, int n_words) const;

 private:
  uint64_t seed_;
};

}  // namespace loadgen
