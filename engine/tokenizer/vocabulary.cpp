#include "tokenizer/vocabulary.h"

#include <stdexcept>

#include "gguf/gguf_file.h"

namespace engine {
namespace {

const GgufArray& required_array(const GgufFile& f, const std::string& key) {
  const GgufValue* v = f.find(key);
  if (!v || !v->as_array()) {
    throw std::runtime_error(f.name() + ": metadata '" + key + "' is missing or not an array");
  }
  return *v->as_array();
}

TokenId token_id(const GgufFile& f, const std::string& key, TokenId fallback, size_t n_vocab) {
  const GgufValue* v = f.find(key);
  if (!v) return fallback;
  const auto i = v->as_int();
  if (!i || *i < 0 || static_cast<size_t>(*i) >= n_vocab) {
    throw std::runtime_error(f.name() + ": metadata '" + key + "' is not a token id in 0.." +
                             std::to_string(n_vocab - 1));
  }
  return static_cast<TokenId>(*i);
}

bool flag(const GgufFile& f, const std::string& key, bool fallback) {
  const GgufValue* v = f.find(key);
  return v && v->as_bool() ? *v->as_bool() : fallback;
}

}  // namespace

Vocabulary load_vocabulary(const GgufFile& f) {
  if (const GgufValue* m = f.find("tokenizer.ggml.model");
      !m || !m->as_string() || *m->as_string() != "llama") {
    throw std::runtime_error(f.name() +
                             ": metadata 'tokenizer.ggml.model' must be \"llama\" (SentencePiece)");
  }
  Vocabulary v;
  const GgufArray& tokens = required_array(f, "tokenizer.ggml.tokens");
  const size_t n = tokens.items.size();
  v.tokens.reserve(n);
  for (const GgufValue& t : tokens.items) {
    if (!t.as_string()) throw std::runtime_error(f.name() + ": a token is not a string");
    v.tokens.push_back(*t.as_string());
  }
  const GgufArray& scores = required_array(f, "tokenizer.ggml.scores");
  const GgufArray& types = required_array(f, "tokenizer.ggml.token_type");
  if (scores.items.size() != n || types.items.size() != n) {
    throw std::runtime_error(f.name() + ": tokenizer.ggml.scores/token_type have " +
                             std::to_string(scores.items.size()) + "/" +
                             std::to_string(types.items.size()) + " entries for " +
                             std::to_string(n) + " tokens");
  }
  v.scores.reserve(n);
  v.types.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const auto s = scores.items[i].as_number();
    const auto t = types.items[i].as_int();
    if (!s || !t || *t < 0 || *t > static_cast<int64_t>(TokenType::Byte)) {
      throw std::runtime_error(f.name() + ": token " + std::to_string(i) +
                               " has an invalid score or type");
    }
    v.scores.push_back(static_cast<float>(*s));
    v.types.push_back(static_cast<TokenType>(*t));
  }
  v.bos_id = token_id(f, "tokenizer.ggml.bos_token_id", 1, n);
  v.eos_id = token_id(f, "tokenizer.ggml.eos_token_id", 2, n);
  v.unk_id = token_id(f, "tokenizer.ggml.unknown_token_id", 0, n);
  v.add_bos = flag(f, "tokenizer.ggml.add_bos_token", true);
  v.add_eos = flag(f, "tokenizer.ggml.add_eos_token", false);
  v.add_space_prefix = flag(f, "tokenizer.ggml.add_space_prefix", true);
  return v;
}

}  // namespace engine
