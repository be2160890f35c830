#include "load_runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <random>

namespace loadgen {
namespace {

auto capture(beast::error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

net::awaitable<void> sleep_for(Clock::duration d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  beast::error_code ec;
  co_await timer.async_wait(capture(ec));
}

}  // namespace

// One phase (warmup or measured) and the coroutines working on it. Shared by them, since a
// coroutine may outlive the moment the phase's waiter sees the count reach zero.
struct LoadRunner::Phase {
  Phase(net::any_io_executor ex, bool is_warmup)
      : warmup(is_warmup), done(ex, Clock::time_point::max()) {}

  const bool warmup;
  int64_t limit = 0;                          // requests to issue (arrivals, open loop); 0: any
  std::optional<Clock::time_point> deadline;  // stop issuing here
  Clock::time_point start;
  std::optional<Clock::time_point> issue_end;

  int64_t issued = 0;
  int64_t dropped = 0;
  int64_t failed = 0;
  bool stopping = false;
  bool finished = false;
  bool cut_by_grace = false;
  std::vector<RequestResult> results;

  int tasks = 0;           // live coroutines; the phase ends when it drops to zero
  net::steady_timer done;  // woken (cancelled) when tasks reaches zero
  net::steady_timer* arrival_timer = nullptr;
  net::steady_timer* progress_timer = nullptr;

  bool may_issue(int64_t counted) {
    if (stopping || (limit > 0 && counted >= limit) || (deadline && Clock::now() >= *deadline)) {
      if (!issue_end) issue_end = Clock::now();
      return false;
    }
    return true;
  }
};

LoadRunner::LoadRunner(const Options& options, LoadClient& client, const Workload& workload)
    : options_(options), client_(client), workload_(workload) {}

void LoadRunner::spawn(const std::shared_ptr<Phase>& phase, net::awaitable<void> task) {
  ++phase->tasks;
  net::co_spawn(executor_, std::move(task), [phase](std::exception_ptr e) {
    if (e) {
      // The coroutines catch what they expect; anything else is a bug worth seeing, not hiding.
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "mistral-loadgen: internal error: %s\n", ex.what());
      } catch (...) {
        std::fprintf(stderr, "mistral-loadgen: internal error\n");
      }
      phase->stopping = true;
    }
    if (--phase->tasks == 0) phase->done.cancel();
  });
}

std::unique_ptr<Connection> LoadRunner::acquire() {
  if (idle_.empty()) return std::make_unique<Connection>(executor_);
  std::unique_ptr<Connection> conn = std::move(idle_.back());
  idle_.pop_back();
  return conn;
}

void LoadRunner::release(std::unique_ptr<Connection> conn) {
  if (!conn->aborted()) idle_.push_back(std::move(conn));
}

void LoadRunner::abort_in_flight() {
  for (Connection* conn : in_flight_) conn->abort();
}

void LoadRunner::interrupt() {
  interrupted_ = true;
  if (!current_) return;
  current_->stopping = true;
  if (current_->arrival_timer) current_->arrival_timer->cancel();
  abort_in_flight();
}

net::awaitable<RequestResult> LoadRunner::send(Phase& phase, Connection& conn, uint64_t index) {
  const std::string body = phase.warmup ? workload_.warmup_body(index) : workload_.body(index);
  in_flight_.insert(&conn);
  peak_inflight_ = std::max(peak_inflight_, static_cast<int>(in_flight_.size()));
  RequestResult r = co_await client_.complete(conn, options_.endpoint, options_.stream, body);
  in_flight_.erase(&conn);
  if (!r.ok) ++phase.failed;
  co_return r;
}

net::awaitable<void> LoadRunner::worker(std::shared_ptr<Phase> phase) {
  std::unique_ptr<Connection> conn = acquire();
  while (phase->may_issue(phase->issued)) {
    const uint64_t index = static_cast<uint64_t>(phase->issued++);
    RequestResult r = co_await send(*phase, *conn, index);
    // A server that refuses connections would otherwise be hammered in a tight loop.
    const bool refused = r.error.rfind("connect:", 0) == 0;
    phase->results.push_back(std::move(r));
    if (refused) co_await sleep_for(std::chrono::milliseconds(50));
  }
  release(std::move(conn));
}

net::awaitable<void> LoadRunner::open_loop_request(std::shared_ptr<Phase> phase, uint64_t index) {
  std::unique_ptr<Connection> conn = acquire();
  RequestResult r = co_await send(*phase, *conn, index);
  phase->results.push_back(std::move(r));
  release(std::move(conn));
}

net::awaitable<void> LoadRunner::arrivals(std::shared_ptr<Phase> phase) {
  // Its own seeded stream, so the schedule repeats whatever the prompts draw.
  std::mt19937_64 rng(options_.seed ^ 0xA5A5A5A5DEADBEEFull);
  std::exponential_distribution<double> poisson_gap(options_.rate);
  net::steady_timer timer(executor_);
  phase->arrival_timer = &timer;
  Clock::time_point next = phase->start;
  // Arrivals follow the schedule, not the clock of the last send: when the loop falls behind,
  // the timer fires at once and the schedule catches up, as real independent users would.
  while (phase->may_issue(phase->issued + phase->dropped) &&
         !(phase->deadline && next >= *phase->deadline)) {
    timer.expires_at(next);
    beast::error_code ec;
    co_await timer.async_wait(capture(ec));
    if (phase->stopping) break;
    if (static_cast<int>(in_flight_.size()) >= options_.max_inflight) {
      ++phase->dropped;
    } else {
      spawn(phase, open_loop_request(phase, static_cast<uint64_t>(phase->issued++)));
    }
    next +=
        to_duration(options_.arrival == Arrival::Fixed ? 1.0 / options_.rate : poisson_gap(rng));
  }
  if (!phase->issue_end) phase->issue_end = Clock::now();
  phase->arrival_timer = nullptr;
}

net::awaitable<void> LoadRunner::progress(std::shared_ptr<Phase> phase) {
  // Long runs say how they are going on stderr, so stdout stays the report alone.
  net::steady_timer timer(executor_);
  phase->progress_timer = &timer;
  while (!phase->finished) {
    timer.expires_after(std::chrono::seconds(10));
    beast::error_code ec;
    co_await timer.async_wait(capture(ec));
    if (phase->finished) break;
    std::fprintf(stderr, "[%6.0fs] %lld done (%lld failed), %zu in flight\n",
                 seconds_between(phase->start, Clock::now()),
                 static_cast<long long>(phase->results.size()),
                 static_cast<long long>(phase->failed), in_flight_.size());
  }
  phase->progress_timer = nullptr;
}

net::awaitable<void> LoadRunner::run_phase(std::shared_ptr<Phase> phase, int workers) {
  current_ = phase;
  phase->start = Clock::now();
  if (interrupted_) phase->stopping = true;
  if (!phase->warmup) {
    net::co_spawn(executor_, progress(phase), net::detached);
  }
  if (workers > 0) {
    for (int i = 0; i < workers; ++i) spawn(phase, worker(phase));
  } else {
    spawn(phase, arrivals(phase));
  }

  // After --duration, requests still running get --grace more, then are aborted.
  std::optional<Clock::time_point> grace_end;
  if (phase->deadline) grace_end = *phase->deadline + to_duration(options_.grace_s);
  while (phase->tasks > 0) {
    phase->done.expires_at(grace_end.value_or(Clock::time_point::max()));
    beast::error_code ec;
    co_await phase->done.async_wait(capture(ec));
    if (!ec && phase->tasks > 0 && grace_end) {
      phase->cut_by_grace = !in_flight_.empty();
      phase->stopping = true;
      abort_in_flight();
      grace_end.reset();
    }
  }
  phase->finished = true;
  if (phase->progress_timer) phase->progress_timer->cancel();
  current_.reset();
}

net::awaitable<RunOutcome> LoadRunner::run() {
  executor_ = co_await net::this_coro::executor;
  RunOutcome out;

  if (options_.warmup > 0) {
    auto warmup = std::make_shared<Phase>(executor_, true);
    warmup->limit = options_.warmup;
    // Warm with the load's own parallelism (bounded by the warmup size) so connections and the
    // server's batch shapes are ready for the measured phase.
    const int parallel = options_.rate > 0
                             ? std::min(options_.max_inflight,
                                        std::max(1, static_cast<int>(std::ceil(options_.rate))))
                             : options_.concurrency;
    co_await run_phase(warmup, std::min(options_.warmup, parallel));
    out.warmup_failed = warmup->failed;
    out.warmup_ok = static_cast<int64_t>(warmup->results.size()) - warmup->failed;
  }

  auto measured = std::make_shared<Phase>(executor_, false);
  measured->limit = options_.requests;
  if (options_.duration_s > 0) {
    measured->deadline = Clock::now() + to_duration(options_.duration_s);
  }
  peak_inflight_ = 0;
  co_await run_phase(measured, options_.rate > 0 ? 0 : options_.concurrency);

  out.start = measured->start;
  out.end = measured->start;
  for (const RequestResult& r : measured->results) out.end = std::max(out.end, r.end);
  out.issue_end = measured->issue_end.value_or(out.end);
  out.results = std::move(measured->results);
  out.dropped = measured->dropped;
  out.peak_inflight = peak_inflight_;
  out.interrupted = interrupted_;
  out.cut_by_grace = measured->cut_by_grace;
  co_return out;
}

}  // namespace loadgen
