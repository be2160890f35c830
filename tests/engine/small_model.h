// Small synthetic models for tests that run the forward pass: a Mistral-layout vocabulary (no
// node needed) and a tiny shape.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "synth/synth_model.h"
#include "tokenizer/vocabulary.h"

namespace engine::test_support {

// Specials, the 256 byte tokens, then "▁tN" pieces up to n tokens.
inline Vocabulary small_vocab(int n = 320) {
  Vocabulary v;
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::Unknown, TokenType::Control, TokenType::Control};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    v.tokens.push_back(buf);
    v.types.push_back(TokenType::Byte);
  }
  for (int i = static_cast<int>(v.tokens.size()); i < n; ++i) {
    v.tokens.push_back("\xe2\x96\x81t" + std::to_string(i));
    v.types.push_back(TokenType::Normal);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  return v;
}

inline SynthOptions tiny(SynthFileType t) {
  SynthOptions o;
  o.file_type = t;
  o.dim = 256;
  o.n_layers = 2;
  o.n_heads = 4;
  o.n_kv_heads = 2;
  o.ff_dim = 512;
  o.context_length = 512;
  return o;
}

// Writes `name`.gguf into the test temp dir with the small vocabulary (n_vocab tokens); returns
// its path. CTest
// runs each test in its own process, several at once, and a suite's processes all write the same
// file: each writes a private copy and renames it into place, so none maps a file that another
// is still writing (the copies are identical).
inline std::string synth(const std::string& name, const SynthOptions& o, int n_vocab = 320) {
  const std::string path = testing::TempDir() + "/" + name + ".gguf";
  const std::string partial = path + "." + std::to_string(::getpid()) + ".partial";
  write_synthetic_model(partial, o, small_vocab(n_vocab));
  std::filesystem::rename(partial, path);
  return path;
}

}  // namespace engine::test_support
