// Runs the scheduler on its own thread: callers on any thread submit and cancel sequences; the
// engine thread takes them in between steps and loops while there is work, sleeping otherwise.
// Sinks are called on the engine thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "serving/scheduler.h"

namespace engine {

// Thrown by submit() when the waiting queue is full (the API answers 429).
class QueueFullError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ServingEngine {
 public:
  // `max_waiting`: sequences queued beyond the running batch before submit() refuses more.
  ServingEngine(Model& model, const Tokenizer& tokenizer, const SchedulerConfig& config,
                int32_t max_waiting, EngineMetrics& metrics);
  ~ServingEngine();  // stops the thread; unfinished sequences are aborted
  ServingEngine(const ServingEngine&) = delete;
  ServingEngine& operator=(const ServingEngine&) = delete;

  // Queues all of `specs` (the choices of one request) or none. Throws QueueFullError, or
  // std::invalid_argument for a sequence that can never run. Returns their ids in order.
  std::vector<SeqId> submit(std::vector<SequenceSpec> specs, std::vector<OutputSink> sinks);
  void cancel(SeqId id);

  // Sequences submitted and not yet finished.
  int32_t in_flight() const;
  int32_t max_sequence_tokens() const { return max_sequence_tokens_; }
  // Sequences it holds at most: running plus waiting.
  int32_t max_sequences() const { return max_num_seqs_ + max_waiting_; }

 private:
  struct Submission {
    SeqId id;
    SequenceSpec spec;
    OutputSink sink;
    Clock::time_point arrival;
  };
  void run();

  Scheduler scheduler_;  // touched only by the engine thread once it runs
  const int32_t max_waiting_;
  const int32_t max_num_seqs_;
  const int32_t max_sequence_tokens_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Submission> inbox_;
  std::vector<SeqId> cancels_;
  SeqId next_id_ = 0;
  int32_t in_flight_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace engine
