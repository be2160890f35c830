#include "serving/scheduler.h"

#include <algorithm>
#include <stdexcept>

#include "sampling/logprobs.h"

namespace engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop:
      return "stop";
    case FinishReason::Length:
      return "length";
    case FinishReason::Abort:
      return "abort";
  }
  return "abort";
}

struct Scheduler::Sequence {
  Sequence(SeqId id_, SequenceSpec spec_, OutputSink sink_, const Tokenizer& tok,
           Clock::time_point arrival_)
      : id(id_),
        spec(std::move(spec_)),
        sink(std::move(sink_)),
        tokens(spec.prompt),
        n_prompt(static_cast<int32_t>(spec.prompt.size())),
        sampler(spec.sampling),
        stops(spec.stop),
        detok(tok, /*skip_leading_space=*/false),
        arrival(arrival_) {}

  SeqId id;
  SequenceSpec spec;
  OutputSink sink;
  std::vector<TokenId> tokens;  // prompt, then generated
  int32_t n_prompt;
  int32_t n_computed = 0;   // leading positions whose keys and values are in the cache
  int32_t n_published = 0;  // leading positions offered to the prefix cache (after a pass)
  int32_t cached_prompt_tokens = 0;
  bool scheduled_before = false;
  Sampler sampler;
  StopStringMatcher stops;
  StreamingDetokenizer detok;
  Clock::time_point arrival;
  Clock::time_point last_token;

  int32_t n_generated() const { return static_cast<int32_t>(tokens.size()) - n_prompt; }
};

namespace {

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

Scheduler::Scheduler(Model& model, const Tokenizer& tokenizer, const SchedulerConfig& config,
                     EngineMetrics& metrics)
    : model_(model),
      tokenizer_(tokenizer),
      config_(config),
      metrics_(metrics),
      cache_(model.new_kv_cache(config.kv_blocks, config.block_size)) {
  if (config.max_num_seqs <= 0 || config.max_batch_tokens <= 0) {
    throw std::invalid_argument("max_num_seqs and max_batch_tokens must be positive");
  }
  metrics_.kv_cache_blocks.set(config.kv_blocks);
  update_gauges();
}

Scheduler::~Scheduler() = default;

int32_t Scheduler::max_sequence_tokens() const {
  int32_t limit = std::min(model_.config().context_length, cache_.n_blocks() * cache_.block_size());
  if (config_.max_model_len > 0) limit = std::min(limit, config_.max_model_len);
  return limit;
}

void Scheduler::validate(const SequenceSpec& spec) const {
  if (spec.prompt.empty()) throw std::invalid_argument("the prompt is empty");
  if (spec.max_tokens < 1) throw std::invalid_argument("max_tokens must be at least 1");
  for (TokenId t : spec.prompt) {
    if (t < 0 || t >= model_.config().n_vocab) {
      throw std::invalid_argument("token id " + std::to_string(t) + " is outside the vocabulary");
    }
  }
  const int64_t total = static_cast<int64_t>(spec.prompt.size()) + spec.max_tokens;
  if (total > max_sequence_tokens()) {
    throw std::invalid_argument("prompt (" + std::to_string(spec.prompt.size()) +
                                " tokens) plus max_tokens (" + std::to_string(spec.max_tokens) +
                                ") exceeds the " + std::to_string(max_sequence_tokens()) +
                                " tokens one sequence may use");
  }
  const Sampler check(spec.sampling);
}

void Scheduler::add(SeqId id, SequenceSpec spec, OutputSink sink, Clock::time_point arrival) {
  waiting_.push_back(
      std::make_unique<Sequence>(id, std::move(spec), std::move(sink), tokenizer_, arrival));
  update_gauges();
}

void Scheduler::cancel(SeqId id) {
  const auto matches = [id](const SeqPtr& s) { return s->id == id; };
  SeqPtr victim;
  if (auto it = std::find_if(waiting_.begin(), waiting_.end(), matches); it != waiting_.end()) {
    victim = std::move(*it);
    waiting_.erase(it);
  } else if (auto it = std::find_if(running_.begin(), running_.end(), matches);
             it != running_.end()) {
    victim = std::move(*it);
    running_.erase(it);
  } else {
    return;
  }
  abort(*victim);
  update_gauges();
}

void Scheduler::abort_all() {
  for (SeqPtr& s : running_) abort(*s);
  for (SeqPtr& s : waiting_) abort(*s);
  running_.clear();
  waiting_.clear();
  update_gauges();
}

void Scheduler::abort(Sequence& s) {
  cache_.release(s.id);
  metrics_.requests_aborted.inc();
  SequenceOutput out;
  out.finish = FinishReason::Abort;
  out.prompt_tokens = s.n_prompt;
  out.completion_tokens = s.n_generated();
  s.sink(std::move(out));
}

bool Scheduler::step() {
  const auto t0 = Clock::now();
  std::vector<BatchEntry> batch;
  const std::vector<Sequence*> scheduled = schedule(batch);
  if (batch.empty()) {
    update_gauges();
    return false;
  }
  std::vector<float> logits = model_.forward(batch, cache_);
  metrics_.batch_tokens.set(static_cast<double>(batch.size()));

  const int32_t n_vocab = model_.config().n_vocab;
  size_t row = 0;
  std::vector<SeqId> finished;
  for (Sequence* s : scheduled) {
    cache_.publish(s->id, s->tokens, s->n_computed);
    s->n_published = s->n_computed;
    if (s->n_computed < static_cast<int32_t>(s->tokens.size())) continue;  // prompt continues
    const std::span<float> seq_logits(logits.data() + row * n_vocab, n_vocab);
    ++row;
    if (advance(*s, seq_logits)) finished.push_back(s->id);
  }
  for (SeqId id : finished) {
    cache_.release(id);
    std::erase_if(running_, [id](const SeqPtr& s) { return s->id == id; });
  }
  metrics_.step_seconds.observe(seconds_between(t0, Clock::now()));
  update_gauges();
  return true;
}

std::vector<Scheduler::Sequence*> Scheduler::schedule(std::vector<BatchEntry>& batch) {
  std::vector<Sequence*> scheduled;
  int32_t budget = config_.max_batch_tokens;
  bool preempted = false;

  // Running sequences first, oldest first: decodes cost one token, unfinished prompts a chunk.
  for (size_t i = 0; i < running_.size() && budget > 0; ++i) {
    Sequence& s = *running_[i];
    const int32_t take = std::min(static_cast<int32_t>(s.tokens.size()) - s.n_computed, budget);
    const size_t before = running_.size();
    const bool ok = reserve_or_preempt(s, s.n_computed + take);
    preempted = preempted || running_.size() != before;
    if (!ok) break;  // s itself was preempted: it was the newest
    add_entries(s, take, batch);
    scheduled.push_back(&s);
    budget -= take;
  }

  // Then waiting sequences join, first come first served, while seats, budget and blocks last.
  // A step that had to preempt admits nobody: the pool is already short.
  const int32_t watermark = std::max(1, cache_.n_blocks() / 100);
  while (!preempted && !waiting_.empty() && budget > 0 &&
         static_cast<int32_t>(running_.size()) < config_.max_num_seqs) {
    Sequence& s = *waiting_.front();
    // The choices of one request (or any prompt whose first block another sequence is still
    // prefilling) wait for those blocks to be published instead of computing them again.
    if (shares_block_in_prefill(s)) break;
    const int32_t covered = cache_.attach_prefix(s.id, s.tokens);
    s.n_computed = covered;
    const int32_t take = std::min(static_cast<int32_t>(s.tokens.size()) - s.n_computed, budget);
    const bool fits = cache_.reserve(s.id, s.n_computed + take) &&
                      (running_.empty() || cache_.free_blocks() >= watermark);
    if (!fits) {
      cache_.release(s.id);
      s.n_computed = 0;
      break;
    }
    if (!s.scheduled_before) {
      s.scheduled_before = true;
      s.cached_prompt_tokens = std::min(covered, s.n_prompt);
      metrics_.queue_time.observe(seconds_between(s.arrival, Clock::now()));
      metrics_.prompt_tokens.inc(s.n_prompt);
      metrics_.prefix_cache_queries.inc(s.n_prompt);
      metrics_.prefix_cache_hits.inc(s.cached_prompt_tokens);
    }
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    add_entries(s, take, batch);
    scheduled.push_back(&s);
    budget -= take;
  }
  return scheduled;
}

bool Scheduler::shares_block_in_prefill(const Sequence& s) const {
  const int32_t bs = cache_.block_size();
  if (static_cast<int32_t>(s.tokens.size()) <= bs) return false;  // no full block to share
  for (const SeqPtr& r : running_) {
    const bool prefilling = r->n_published < r->n_prompt;
    if (prefilling && static_cast<int32_t>(r->tokens.size()) > bs &&
        std::equal(s.tokens.begin(), s.tokens.begin() + bs, r->tokens.begin())) {
      return true;
    }
  }
  return false;
}

bool Scheduler::reserve_or_preempt(Sequence& s, int32_t n_positions) {
  while (!cache_.reserve(s.id, n_positions)) {
    Sequence& victim = *running_.back();
    preempt(victim);
    if (&victim == &s) return false;
  }
  return true;
}

void Scheduler::preempt(Sequence& victim) {
  cache_.release(victim.id);
  victim.n_computed = 0;
  victim.n_published = 0;
  metrics_.preemptions.inc();
  auto it = std::find_if(running_.begin(), running_.end(),
                         [&](const SeqPtr& p) { return p.get() == &victim; });
  waiting_.push_front(std::move(*it));
  running_.erase(it);
}

void Scheduler::add_entries(Sequence& s, int32_t take, std::vector<BatchEntry>& batch) {
  const auto last = static_cast<int32_t>(s.tokens.size()) - 1;
  for (int32_t p = s.n_computed; p < s.n_computed + take; ++p) {
    batch.push_back({s.id, p, s.tokens[p], p == last});
  }
  s.n_computed += take;
}

bool Scheduler::advance(Sequence& s, std::span<float> logits) {
  // Log-probabilities describe the model's distribution, before the sampler's penalties.
  std::vector<float> raw;
  if (s.spec.logprobs >= 0) raw.assign(logits.begin(), logits.end());
  const TokenId next = s.sampler.sample(logits, s.tokens);

  const Clock::time_point now = Clock::now();
  if (s.n_generated() == 0) {
    metrics_.time_to_first_token.observe(seconds_between(s.arrival, now));
  } else {
    metrics_.time_per_output_token.observe(seconds_between(s.last_token, now));
  }
  s.last_token = now;
  metrics_.generation_tokens.inc();

  SequenceOutput out;
  out.prompt_tokens = s.n_prompt;
  out.cached_prompt_tokens = s.cached_prompt_tokens;
  if (next == tokenizer_.eos() && !s.spec.ignore_eos) {
    out.completion_tokens = s.n_generated();
    finish(s, FinishReason::Stop, std::move(out));
    return true;
  }
  s.tokens.push_back(next);
  out.tokens.push_back(next);
  if (!raw.empty()) {
    LogprobResult lp = logprobs(raw, next, s.spec.logprobs);
    out.logprobs.push_back({next, lp.chosen, std::move(lp.top)});
  }
  out.completion_tokens = s.n_generated();
  const StopStringMatcher::Result r = s.stops.feed(s.detok.push(next));
  out.text = r.text;
  if (r.stopped) {
    finish(s, FinishReason::Stop, std::move(out));
    return true;
  }
  if (s.n_generated() >= s.spec.max_tokens) {
    finish(s, FinishReason::Length, std::move(out));
    return true;
  }
  s.sink(std::move(out));
  return false;
}

void Scheduler::finish(Sequence& s, FinishReason reason, SequenceOutput out) {
  if (!s.stops.stopped()) {
    const StopStringMatcher::Result tail = s.stops.feed(s.detok.finish());
    out.text += tail.text;
    if (tail.stopped) {
      reason = FinishReason::Stop;
    } else {
      out.text += s.stops.finish();
    }
  }
  out.finish = reason;
  metrics_.e2e_latency.observe(seconds_between(s.arrival, Clock::now()));
  metrics_.request_success.with({{"finished_reason", finish_reason_name(reason)}}).inc();
  s.sink(std::move(out));
}

void Scheduler::update_gauges() {
  metrics_.requests_running.set(static_cast<double>(running_.size()));
  metrics_.requests_waiting.set(static_cast<double>(waiting_.size()));
  const double usage = static_cast<double>(cache_.used_blocks()) / cache_.n_blocks();
  metrics_.kv_cache_usage.set(usage);
  metrics_.gpu_cache_usage.set(usage);
}

}  // namespace engine
