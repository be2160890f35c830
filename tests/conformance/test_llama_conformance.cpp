// Token-for-token conformance with llama.cpp (node-llama-cpp's prebuilt CPU build) on synthetic
// Mistral files of every supported quantization mix.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/model.h"
#include "synth/synth_model.h"
#include "synth/vocab_source.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

using namespace engine;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kRoot = MF_SOURCE_DIR;
const fs::path kModules = kRoot / "node_modules";
constexpr int kSteps = 16;

std::string node_binary() {
  const char* n = std::getenv("MF_NODE");
  return n ? n : "node";
}

// Why the oracle cannot run here, or "" when it can.
std::string oracle_unavailable() {
  if (!fs::exists(kModules / "node-llama-cpp") || !fs::exists(kModules / "mistral-tokenizer-js")) {
    return "node_modules lacks node-llama-cpp or mistral-tokenizer-js: run `npm ci` in the repo";
  }
  const std::string check =
      node_binary() + " -e 'process.exit(parseInt(process.versions.node) >= 20 ? 0 : 1)'";
  if (std::system(check.c_str()) != 0) {
    return "node >= 20 is needed for node-llama-cpp (set MF_NODE)";
  }
  return "";
}

// CTest runs the tests of this file as parallel processes: every file they write is named for the
// process, and shared models appear under their final name only once complete.
std::string process_tag() { return std::to_string(::getpid()); }

json ask_oracle(const json& request) {
  const fs::path dir = fs::path(testing::TempDir());
  const fs::path in = dir / ("oracle_request_" + process_tag() + ".json");
  const fs::path out = dir / ("oracle_response_" + process_tag() + ".json");
  std::ofstream(in) << request.dump();
  const std::string cmd = node_binary() + " " +
                          (kRoot / "tests/conformance/llama_oracle.mjs").string() + " < " +
                          in.string() + " > " + out.string();
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("llama.cpp oracle failed: " + cmd);
  std::ifstream f(out);
  return json::parse(f);
}

const Vocabulary& mistral_vocab() {
  static const Vocabulary v =
      load_vocabulary_source((kModules / "mistral-tokenizer-js/mistral-tokenizer.js").string());
  return v;
}

std::string synth_model(const std::string& type, const std::string& version = "v0.2") {
  const fs::path path = fs::path(testing::TempDir()) / ("conf_" + type + "_" + version + ".gguf");
  if (!fs::exists(path)) {
    SynthOptions o;
    o.file_type = parse_synth_file_type(type);
    o.mistral_version = version;
    o.dim = 256;
    o.n_layers = 4;
    o.n_heads = 4;
    o.n_kv_heads = 2;
    o.ff_dim = 768;
    o.context_length = 2048;
    o.seed = 42;
    const fs::path partial = path.string() + "." + process_tag() + ".partial";
    write_synthetic_model(partial.string(), o, mistral_vocab());
    fs::rename(partial, path);
  }
  return path.string();
}

const std::vector<std::string> kTextPrompts = {
    "The quick brown fox jumps over the lazy dog.",
    "  leading spaces,   runs of   spaces\tand\ttabs\n\nnewlines  ",
    "3.14159 26535 89793 + 2718281828 = 1234567890",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "Быстрая коричневая лиса перепрыгивает через ленивую собаку",
    "東京は日本の首都です。北京是中国的首都。",
    "emoji 🦙🚀 and 👩‍👩‍👧 families ✨",
    "مرحبا بالعالم — नमस्ते दुनिया — 안녕하세요",
    "<s>[INST] not control tokens when typed [/INST]</s>",
};

}  // namespace

TEST(LlamaConformance, GreedyTokensMatchForEveryQuantType) {
  if (const std::string why = oracle_unavailable(); !why.empty()) GTEST_SKIP() << why;
  int compared = 0, near_ties = 0;
  for (const std::string type : {"f32", "f16", "q8_0", "q4_0", "q4_k_m", "q5_k_m", "q6_k"}) {
    const std::string path = synth_model(type);
    Model model(path, 2);
    const Tokenizer tok(load_vocabulary(model.file()));

    std::vector<std::vector<TokenId>> prompts;
    for (const std::string& p : kTextPrompts) prompts.push_back(tok.encode(p, true));
    prompts.push_back(apply_chat_template(tok, detect_chat_template(tok),
                                          {{"system", "Answer briefly."},
                                           {"user", "Hi!"},
                                           {"assistant", "Hello."},
                                           {"user", "What is 2+2?"}}));

    const json answer = ask_oracle({{"model", path}, {"greedy", prompts}, {"n", kSteps}});
    ASSERT_EQ(answer["tokens"].size(), prompts.size());
    for (size_t i = 0; i < prompts.size(); ++i) {
      const std::vector<TokenId> theirs = answer["tokens"][i];
      ASSERT_FALSE(theirs.empty());
      // Teacher-forced: our next-token choice at every step, fed llama.cpp's history, so a
      // near-tie at one step does not hide the steps after it.
      KvCache cache = model.new_kv_cache(256);
      ASSERT_TRUE(cache.reserve(0, static_cast<int32_t>(prompts[i].size() + theirs.size())));
      std::vector<BatchEntry> batch;
      for (size_t p = 0; p < prompts[i].size(); ++p) {
        batch.push_back({0, static_cast<int32_t>(p), prompts[i][p], p + 1 == prompts[i].size()});
      }
      std::vector<float> logits = model.forward(batch, cache);
      for (size_t step = 0; step < theirs.size(); ++step) {
        const auto top = std::max_element(logits.begin(), logits.end());
        const auto ours = static_cast<TokenId>(top - logits.begin());
        ++compared;
        if (ours != theirs[step]) {
          const float best = *top;
          *top = -INFINITY;
          const float second = *std::max_element(logits.begin(), logits.end());
          *top = best;
          const float range = best - *std::min_element(logits.begin(), logits.end());
          const float margin = best - second;
          ++near_ties;
          std::printf(
              "[%s prompt %zu step %zu] ours %d, llama.cpp %d: top-2 margin %.5f, "
              "logit range %.3f (%.3f%%)\n",
              type.c_str(), i, step, ours, theirs[step], margin, range, 100.0 * margin / range);
          EXPECT_LT(margin, 0.01f * range)
              << type << " prompt " << i << " step " << step << ": not a near-tie";
          EXPECT_LT(best - logits[theirs[step]], 0.01f * range)
              << "llama.cpp's choice should be within the near-tie of our best";
        }
        if (step + 1 < theirs.size()) {
          const BatchEntry e{0, static_cast<int32_t>(prompts[i].size() + step), theirs[step], true};
          logits = model.forward(std::span(&e, 1), cache);
        }
      }
    }
  }
  std::printf("compared %d greedy steps with llama.cpp, %d near-ties\n", compared, near_ties);
  EXPECT_GE(compared, 7 * 10 * 8);
  // Activation quantization rounds slightly differently from llama.cpp's x86 kernels, so a few
  // near-ties flip; anything systematic would flip far more.
  EXPECT_LE(near_ties * 20, compared) << "near-ties should be rare";
}

TEST(LlamaConformance, TokenizationMatchesLlamaCpp) {
  if (const std::string why = oracle_unavailable(); !why.empty()) GTEST_SKIP() << why;
  std::ifstream corpus_file(kRoot / "tests/data/tokenizer_corpus.json");
  ASSERT_TRUE(corpus_file) << "tests/data/tokenizer_corpus.json missing";
  const json corpus = json::parse(corpus_file);
  std::vector<std::string> texts;
  for (const json& c : corpus["cases"]) texts.push_back(c["text"].get<std::string>());
  ASSERT_GE(texts.size(), 200u);
  for (const std::string version : {"v0.2", "v0.3"}) {
    const std::string path = synth_model("q8_0", version);
    const Tokenizer tok(load_vocabulary(GgufFile::open(path)));
    const json answer = ask_oracle({{"model", path}, {"tokenize", texts}});
    ASSERT_EQ(answer["tokens"].size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      const std::vector<TokenId> theirs = answer["tokens"][i];
      EXPECT_EQ(tok.encode(texts[i], true), theirs)
          << version << " text #" << i << ": " << texts[i];
      EXPECT_EQ(tok.decode(theirs), texts[i]) << version << " detokenize text #" << i;
    }
  }
}
