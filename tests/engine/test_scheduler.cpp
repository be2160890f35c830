// Continuous batching: whatever the scheduler does (joining mid-flight, chunked prefill,
// preemption, prefix sharing, cancellation), each sequence's greedy output equals generating it
// alone, and the KV pool ends empty.
#include <gtest/gtest.h>

#include <map>

#include "generation/generate.h"
#include "serving/scheduler.h"
#include "small_model.h"

using namespace engine;

namespace {

struct Collected {
  std::vector<TokenId> tokens;
  std::string text;
  std::optional<FinishReason> finish;
  int32_t cached_prompt_tokens = 0;
  int outputs = 0;
};

class SchedulerTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    SynthOptions o = test_support::tiny(SynthFileType::Q8_0);
    o.seed = 11;
    model_ = new Model(test_support::synth("scheduler", o), 2);
    tokenizer_ = new Tokenizer(test_support::small_vocab());
  }
  static void TearDownTestSuite() {
    delete tokenizer_;
    delete model_;
  }

  static std::vector<TokenId> prompt(int seed, int length) {
    std::vector<TokenId> p = {tokenizer_->bos()};
    for (int i = 1; i < length; ++i) p.push_back(3 + 256 + (seed * 31 + i * 7) % 60);
    return p;
  }

  static SequenceSpec greedy(std::vector<TokenId> p, int32_t max_tokens) {
    SequenceSpec s;
    s.prompt = std::move(p);
    s.max_tokens = max_tokens;
    s.sampling.temperature = 0;
    return s;
  }

  // The reference: the one-sequence generation loop.
  static GenerationResult alone(const SequenceSpec& s) {
    GenerationRequest r;
    r.prompt = s.prompt;
    r.max_tokens = s.max_tokens;
    r.sampling = s.sampling;
    r.stop = s.stop;
    return generate(*model_, *tokenizer_, r);
  }

  OutputSink sink(SeqId id) {
    return [this, id](SequenceOutput&& out) {
      Collected& c = results_[id];
      c.tokens.insert(c.tokens.end(), out.tokens.begin(), out.tokens.end());
      c.text += out.text;
      c.cached_prompt_tokens = out.cached_prompt_tokens;
      ++c.outputs;
      if (out.finish) {
        ASSERT_FALSE(c.finish.has_value()) << "a second final output for sequence " << id;
        c.finish = out.finish;
      }
    };
  }

  void run_to_end(Scheduler& s, int max_steps = 10000) {
    for (int i = 0; i < max_steps && !s.idle(); ++i) s.step();
    ASSERT_TRUE(s.idle()) << "the scheduler did not finish within " << max_steps << " steps";
  }

  void expect_matches_alone(SeqId id, const SequenceSpec& spec) {
    const GenerationResult ref = alone(spec);
    const Collected& c = results_[id];
    EXPECT_EQ(c.tokens, ref.tokens) << "sequence " << id;
    EXPECT_EQ(c.text, ref.text) << "sequence " << id;
    ASSERT_TRUE(c.finish.has_value());
    EXPECT_EQ(finish_reason_name(*c.finish), ref.finish_reason) << "sequence " << id;
  }

  static Model* model_;
  static Tokenizer* tokenizer_;
  EngineMetrics metrics_{"test"};
  std::map<SeqId, Collected> results_;
};

Model* SchedulerTest::model_ = nullptr;
Tokenizer* SchedulerTest::tokenizer_ = nullptr;

TEST_F(SchedulerTest, SequencesJoiningMidFlightMatchGeneratingAlone) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  std::vector<SequenceSpec> specs;
  for (int i = 0; i < 6; ++i) specs.push_back(greedy(prompt(i, 5 + 9 * i), 10 + i));
  // Two start together; the others join one per step while those run.
  s.add(0, specs[0], sink(0));
  s.add(1, specs[1], sink(1));
  for (SeqId id = 2; id < 6; ++id) {
    s.step();
    s.add(id, specs[id], sink(id));
  }
  run_to_end(s);
  for (SeqId id = 0; id < 6; ++id) expect_matches_alone(id, specs[id]);
  EXPECT_EQ(s.cache().used_blocks(), 0);
  EXPECT_EQ(metrics_.requests_running.value(), 0);
  EXPECT_EQ(metrics_.kv_cache_usage.value(), 0);
}

TEST_F(SchedulerTest, ChunkedPrefillKeepsEveryStepWithinTheTokenBudget) {
  SchedulerConfig c;
  c.max_batch_tokens = 8;
  Scheduler s(*model_, *tokenizer_, c, metrics_);
  const SequenceSpec running = greedy(prompt(1, 6), 20);
  const SequenceSpec long_prompt = greedy(prompt(2, 70), 5);
  s.add(0, running, sink(0));
  s.step();
  s.add(1, long_prompt, sink(1));
  int steps = 0;
  for (; steps < 1000 && !s.idle(); ++steps) {
    s.step();
    EXPECT_LE(metrics_.batch_tokens.value(), 8);
    // The running sequence keeps decoding while the long prompt is prefilled in chunks.
    if (!results_[1].finish && results_[0].tokens.size() < 20u) {
      EXPECT_GT(results_[0].outputs, 0);
    }
  }
  EXPECT_GE(steps, 70 / 8);
  expect_matches_alone(0, running);
  expect_matches_alone(1, long_prompt);
}

TEST_F(SchedulerTest, PreemptionUnderKvPressureLosesNothing) {
  SchedulerConfig c;
  c.kv_blocks = 8;  // 128 positions for four sequences that need about 60 each
  c.block_size = 16;
  Scheduler s(*model_, *tokenizer_, c, metrics_);
  std::vector<SequenceSpec> specs;
  for (int i = 0; i < 4; ++i) {
    specs.push_back(greedy(prompt(10 + i, 20), 40));
    specs.back().ignore_eos = false;
    s.add(i, specs.back(), sink(i));
  }
  run_to_end(s);
  EXPECT_GT(metrics_.preemptions.value(), 0) << "the pool was meant to run out";
  for (SeqId id = 0; id < 4; ++id) expect_matches_alone(id, specs[id]);
  EXPECT_EQ(s.cache().used_blocks(), 0);
}

TEST_F(SchedulerTest, RepeatedPromptReusesCachedBlocks) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  const SequenceSpec spec = greedy(prompt(5, 50), 8);
  s.add(0, spec, sink(0));
  run_to_end(s);
  s.add(1, spec, sink(1));
  run_to_end(s);
  // 50 prompt tokens: three full blocks of 16 are shared, the rest is computed.
  EXPECT_EQ(results_[0].cached_prompt_tokens, 0);
  EXPECT_EQ(results_[1].cached_prompt_tokens, 48);
  EXPECT_EQ(metrics_.prefix_cache_hits.value(), 48);
  EXPECT_EQ(results_[1].tokens, results_[0].tokens);
  expect_matches_alone(1, spec);
  EXPECT_EQ(s.cache().used_blocks(), 0);
  EXPECT_GT(s.cache().cached_blocks(), 0);
}

TEST_F(SchedulerTest, ChoicesOfOnePromptPrefillItOnce) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  SequenceSpec spec = greedy(prompt(6, 70), 4);  // four full blocks and a bit
  for (SeqId id = 0; id < 4; ++id) s.add(id, spec, sink(id));
  run_to_end(s);
  EXPECT_EQ(results_[0].cached_prompt_tokens, 0);
  for (SeqId id = 1; id < 4; ++id) {
    EXPECT_EQ(results_[id].cached_prompt_tokens, 64) << "choice " << id;
    EXPECT_EQ(results_[id].tokens, results_[0].tokens);
  }
  expect_matches_alone(3, spec);
}

TEST_F(SchedulerTest, CancelFreesBlocksAndEndsWithAbort) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  SequenceSpec long_one = greedy(prompt(3, 30), 200);
  long_one.ignore_eos = true;
  s.add(0, long_one, sink(0));
  s.add(1, greedy(prompt(4, 10), 6), sink(1));
  for (int i = 0; i < 3; ++i) s.step();
  EXPECT_GT(s.cache().used_blocks(), 0);
  s.cancel(0);
  ASSERT_TRUE(results_[0].finish.has_value());
  EXPECT_EQ(*results_[0].finish, FinishReason::Abort);
  run_to_end(s);
  EXPECT_EQ(s.cache().used_blocks(), 0);
  EXPECT_EQ(metrics_.requests_aborted.value(), 1);
  expect_matches_alone(1, greedy(prompt(4, 10), 6));
  s.cancel(0);  // already gone: ignored
  EXPECT_EQ(metrics_.requests_aborted.value(), 1);
}

TEST_F(SchedulerTest, StopStringsAndLengthFinishAsAlone) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  SequenceSpec base = greedy(prompt(7, 12), 24);
  const GenerationResult free_run = alone(base);
  ASSERT_GT(free_run.text.size(), 8u);
  SequenceSpec stopped = base;
  stopped.stop = {free_run.text.substr(free_run.text.size() / 2, 4)};
  s.add(0, base, sink(0));
  s.add(1, stopped, sink(1));
  run_to_end(s);
  expect_matches_alone(0, base);
  expect_matches_alone(1, stopped);
  EXPECT_EQ(*results_[1].finish, FinishReason::Stop);
  EXPECT_EQ(results_[1].text.find(stopped.stop[0]), std::string::npos);
}

TEST_F(SchedulerTest, SeatsLimitRunningSequences) {
  SchedulerConfig c;
  c.max_num_seqs = 2;
  Scheduler s(*model_, *tokenizer_, c, metrics_);
  for (SeqId id = 0; id < 5; ++id) s.add(id, greedy(prompt(id, 6), 8), sink(id));
  for (int i = 0; i < 1000 && !s.idle(); ++i) {
    s.step();
    EXPECT_LE(s.num_running(), 2);
  }
  for (SeqId id = 0; id < 5; ++id) expect_matches_alone(id, greedy(prompt(id, 6), 8));
}

TEST_F(SchedulerTest, LogprobsDescribeTheModelDistribution) {
  Scheduler s(*model_, *tokenizer_, SchedulerConfig{}, metrics_);
  SequenceSpec spec = greedy(prompt(9, 8), 4);
  spec.logprobs = 3;
  std::vector<TokenLogprob> got;
  s.add(0, spec, [&](SequenceOutput&& out) {
    got.insert(got.end(), out.logprobs.begin(), out.logprobs.end());
  });
  run_to_end(s);
  ASSERT_FALSE(got.empty());
  for (const TokenLogprob& lp : got) {
    ASSERT_EQ(lp.top.size(), 3u);
    EXPECT_LE(lp.logprob, 0.0f);
    // Greedy picks the most likely token, so it heads the list.
    EXPECT_EQ(lp.top[0].first, lp.token);
    EXPECT_FLOAT_EQ(lp.top[0].second, lp.logprob);
    EXPECT_GE(lp.top[0].second, lp.top[1].second);
    EXPECT_GE(lp.top[1].second, lp.top[2].second);
  }
}

TEST_F(SchedulerTest, ValidateRejectsWhatCanNeverRun) {
  SchedulerConfig c;
  c.kv_blocks = 4;  // 64 positions
  Scheduler s(*model_, *tokenizer_, c, metrics_);
  EXPECT_EQ(s.max_sequence_tokens(), 64);
  EXPECT_THROW(s.validate(greedy({}, 4)), std::invalid_argument);
  EXPECT_THROW(s.validate(greedy(prompt(1, 60), 10)), std::invalid_argument);
  EXPECT_THROW(s.validate(greedy({1, 99999}, 4)), std::invalid_argument);
  SequenceSpec bad = greedy(prompt(1, 4), 4);
  bad.sampling.repetition_penalty = -1;
  EXPECT_THROW(s.validate(bad), std::invalid_argument);
  EXPECT_NO_THROW(s.validate(greedy(prompt(1, 54), 10)));
}

}  // namespace
