#include "serving/serving_engine.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace engine {

ServingEngine::ServingEngine(Model& model, const Tokenizer& tokenizer,
                             const SchedulerConfig& config, int32_t max_waiting,
                             EngineMetrics& metrics)
    : scheduler_(model, tokenizer, config, metrics),
      max_waiting_(max_waiting),
      max_num_seqs_(config.max_num_seqs),
      max_sequence_tokens_(scheduler_.max_sequence_tokens()),
      thread_([this] { run(); }) {}

ServingEngine::~ServingEngine() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::vector<SeqId> ServingEngine::submit(std::vector<SequenceSpec> specs,
                                         std::vector<OutputSink> sinks) {
  // validate() reads only what the scheduler was built with, so any thread may call it.
  for (const SequenceSpec& s : specs) scheduler_.validate(s);
  std::vector<SeqId> ids;
  {
    std::lock_guard lock(mutex_);
    const auto n = static_cast<int32_t>(specs.size());
    if (n > max_num_seqs_ + max_waiting_) {
      throw std::invalid_argument(std::to_string(n) + " sequences in one request exceed the " +
                                  std::to_string(max_num_seqs_ + max_waiting_) +
                                  " the server can hold (running plus waiting)");
    }
    if (in_flight_ + n > max_num_seqs_ + max_waiting_) {
      throw QueueFullError("the waiting queue is full (" + std::to_string(max_waiting_) +
                           " sequences beyond the " + std::to_string(max_num_seqs_) + " running)");
    }
    const Clock::time_point now = Clock::now();
    for (size_t i = 0; i < specs.size(); ++i) {
      // A sequence is counted out before its last output goes to the client, who may submit
      // again the moment it arrives; only once, and nothing reaches its sink after that, even if
      // an engine error aborts everything right after it finished.
      OutputSink counted = [this, sink = std::move(sinks[i]),
                            done = false](SequenceOutput&& out) mutable {
        if (done) return;
        if (out.finish) {
          done = true;
          std::lock_guard inner(mutex_);
          --in_flight_;
        }
        sink(std::move(out));
      };
      ids.push_back(next_id_++);
      inbox_.push_back({ids.back(), std::move(specs[i]), std::move(counted), now});
      ++in_flight_;
    }
  }
  wake_.notify_one();
  return ids;
}

void ServingEngine::cancel(SeqId id) {
  {
    std::lock_guard lock(mutex_);
    cancels_.push_back(id);
  }
  wake_.notify_one();
}

int32_t ServingEngine::in_flight() const {
  std::lock_guard lock(mutex_);
  return in_flight_;
}

void ServingEngine::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock,
               [&] { return stop_ || !inbox_.empty() || !cancels_.empty() || !scheduler_.idle(); });
    if (stop_) break;
    std::vector<Submission> added = std::exchange(inbox_, {});
    std::vector<SeqId> cancelled = std::exchange(cancels_, {});
    lock.unlock();
    for (Submission& s : added) {
      scheduler_.add(s.id, std::move(s.spec), std::move(s.sink), s.arrival);
    }
    for (SeqId id : cancelled) scheduler_.cancel(id);
    try {
      scheduler_.step();
    } catch (const std::exception& e) {
      // Only a bug gets here; end every sequence so no client waits forever.
      spdlog::error("engine step failed, aborting all sequences: {}", e.what());
      scheduler_.abort_all();
    }
    lock.lock();
  }
  std::vector<Submission> unstarted = std::exchange(inbox_, {});
  lock.unlock();
  for (Submission& s : unstarted) scheduler_.add(s.id, std::move(s.spec), std::move(s.sink));
  scheduler_.abort_all();
}

}  // namespace engine
