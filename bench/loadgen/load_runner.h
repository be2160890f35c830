// Drives the load: a warmup, then the measured phase as a closed loop (N workers, each sending
// its next request when the last one ends) or an open loop (arrivals on a Poisson or fixed
// schedule, independent of completions, up to a cap in flight). Everything runs as coroutines on
// one thread, so the bookkeeping needs no locks.
#pragma once

#include <memory>
#include <set>
#include <vector>

#include "load_client.h"
#include "run_outcome.h"
#include "workload.h"

namespace loadgen {

class LoadRunner {
 public:
  LoadRunner(const Options& options, LoadClient& client, const Workload& workload);

  net::awaitable<RunOutcome> run();

  // Stops issuing and aborts the requests in flight; run() then returns what it has. For signals.
  void interrupt();

 private:
  struct Phase;

  net::awaitable<void> run_phase(std::shared_ptr<Phase> phase, int workers);
  net::awaitable<void> worker(std::shared_ptr<Phase> phase);
  net::awaitable<void> arrivals(std::shared_ptr<Phase> phase);
  net::awaitable<void> open_loop_request(std::shared_ptr<Phase> phase, uint64_t index);
  net::awaitable<void> progress(std::shared_ptr<Phase> phase);
  net::awaitable<RequestResult> send(Phase& phase, Connection& conn, uint64_t index);

  void spawn(const std::shared_ptr<Phase>& phase, net::awaitable<void> task);
  std::unique_ptr<Connection> acquire();
  void release(std::unique_ptr<Connection> conn);
  void abort_in_flight();

  const Options& options_;
  LoadClient& client_;
  const Workload& workload_;
  net::any_io_executor executor_;

  std::vector<std::unique_ptr<Connection>> idle_;  // kept open between requests and phases
  std::set<Connection*> in_flight_;                // to abort at the end of a run
  int peak_inflight_ = 0;
  std::shared_ptr<Phase> current_;
  bool interrupted_ = false;
};

}  // namespace loadgen
