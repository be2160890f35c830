// Iteration-level continuous batching over the paged KV cache.
//
// Each step() runs one forward pass for every running sequence: one token for each sequence that
// is decoding, and prompt chunks under the per-step token budget (chunked prefill), so a long
// prompt never stalls the streams already running. Waiting sequences join at the next step when
// KV blocks and a seat are free. When blocks run out mid-flight, the newest running sequence is
// preempted: its blocks go back to the pool and it waits at the head of the queue to be
// recomputed (its published blocks usually still cached), so no request fails for it.
//
// Not thread-safe: ServingEngine drives it from one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "model/kv_cache.h"
#include "model/model.h"
#include "sampling/stop_strings.h"
#include "serving/engine_metrics.h"
#include "serving/sequence.h"
#include "tokenizer/tokenizer.h"

namespace engine {

struct SchedulerConfig {
  int32_t max_num_seqs = 64;       // running sequences at once
  int32_t max_batch_tokens = 512;  // tokens per forward pass (decode + prefill chunks)
  int32_t kv_blocks = 1024;
  int32_t block_size = 16;
  int32_t max_model_len = 0;  // longest sequence, prompt plus output; 0: the model's context
};

class Scheduler {
 public:
  Scheduler(Model& model, const Tokenizer& tokenizer, const SchedulerConfig& config,
            EngineMetrics& metrics);
  ~Scheduler();

  // Checks that a sequence can run (a prompt of vocabulary ids, prompt plus max_tokens within
  // max_sequence_tokens(), sane sampling); throws std::invalid_argument saying why not.
  void validate(const SequenceSpec& spec) const;
  // Queues a validated sequence under an id unique among those not finished; its sink hears every
  // step's output until one carries `finish`.
  void add(SeqId id, SequenceSpec spec, OutputSink sink, Clock::time_point arrival = Clock::now());
  // Drops a sequence wherever it is and frees its blocks; its sink hears a final Abort output.
  // Unknown ids (already finished) are ignored.
  void cancel(SeqId id);

  // Ends every sequence with an Abort output.
  void abort_all();

  // One forward pass; returns false when there was nothing to run.
  bool step();

  bool idle() const { return running_.empty() && waiting_.empty(); }
  int32_t num_running() const { return static_cast<int32_t>(running_.size()); }
  int32_t num_waiting() const { return static_cast<int32_t>(waiting_.size()); }
  const KvCache& cache() const { return cache_; }
  // Positions one sequence may use: the smaller of the context and the whole KV cache.
  int32_t max_sequence_tokens() const;

 private:
  struct Sequence;
  using SeqPtr = std::unique_ptr<Sequence>;

  // Decides this step's entries; may preempt. Returns the sequences in the batch.
  std::vector<Sequence*> schedule(std::vector<BatchEntry>& batch);
  bool reserve_or_preempt(Sequence& s, int32_t n_positions);
  bool shares_block_in_prefill(const Sequence& s) const;
  void preempt(Sequence& victim);
  // Appends s's next `take` uncomputed tokens to the batch.
  void add_entries(Sequence& s, int32_t take, std::vector<BatchEntry>& batch);
  // Samples the next token of a sequence whose tokens are all computed; true when it finished.
  bool advance(Sequence& s, std::span<float> logits);
  void finish(Sequence& s, FinishReason reason, SequenceOutput out);
  void abort(Sequence& s);
  void update_gauges();

  Model& model_;
  const Tokenizer& tokenizer_;
  SchedulerConfig config_;
  EngineMetrics& metrics_;
  KvCache cache_;
  std::deque<SeqPtr> waiting_;   // FIFO; preempted sequences go back to the front
  std::vector<SeqPtr> running_;  // in admission order: the last is preempted first
};

}  // namespace engine
