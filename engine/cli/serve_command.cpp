// mistral-engine serve: the OpenAI-compatible server every replica of the fleet runs.
//
// Lifecycle: listen at once (/health answers 503 while the model loads, so a startup probe can
// wait on it), load the model, serve. On SIGTERM or SIGINT: /health turns 503, new work is
// refused, what runs finishes and is written out within the grace period, then exit 0.
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "model/kv_cache.h"
#include "server/api_handler.h"

namespace engine::cli {
namespace {

// "2GiB", "512MiB", "1G", "1048576": bytes.
size_t parse_bytes(const std::string& name, const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    throw UsageError("--" + name + ": '" + text + "' is not a size like 2GiB or 512MiB");
  }
  const std::string unit = text.substr(used);
  double scale = 1;
  if (unit == "" || unit == "B")
    scale = 1;
  else if (unit == "K" || unit == "KiB")
    scale = 1024.0;
  else if (unit == "M" || unit == "MiB")
    scale = 1024.0 * 1024;
  else if (unit == "G" || unit == "GiB")
    scale = 1024.0 * 1024 * 1024;
  else if (unit == "KB")
    scale = 1e3;
  else if (unit == "MB")
    scale = 1e6;
  else if (unit == "GB")
    scale = 1e9;
  else
    throw UsageError("--" + name + ": unknown unit '" + unit + "' (use KiB, MiB or GiB)");
  if (value <= 0) throw UsageError("--" + name + " must be positive");
  return static_cast<size_t>(value * scale);
}

}  // namespace

int run_serve(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"model", "host", "port", "served-model-name", "max-num-seqs", "max-batch-tokens",
                   "kv-cache-memory", "threads", "max-waiting", "drain-timeout", "max-body-bytes",
                   "log-level", "http-threads", "max-model-len", "device"},
                  {});
  const std::string path = args.required("model");
  const std::string host = args.str("host", "0.0.0.0");
  const auto port = static_cast<unsigned short>(args.integer("port", 8000, 0, 65535));
  const std::string name =
      args.str("served-model-name", std::filesystem::path(path).stem().string());
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = static_cast<int>(args.integer("threads", hw, 1, 1024));
  const DeviceChoice device = parse_device(args);
  SchedulerConfig sc;
  sc.max_num_seqs = static_cast<int32_t>(args.integer("max-num-seqs", 64, 1, 4096));
  sc.max_batch_tokens = static_cast<int32_t>(args.integer("max-batch-tokens", 512, 1, 1 << 20));
  sc.max_model_len = static_cast<int32_t>(args.integer("max-model-len", 0, 0, 1 << 24));
  const auto max_waiting = static_cast<int32_t>(args.integer("max-waiting", 256, 0, 1 << 20));
  const std::chrono::seconds drain_timeout(args.integer("drain-timeout", 30, 0, 86400));
  // Parsing and tokenizing a large request must not stall every other connection.
  const int http_threads = static_cast<int>(args.integer("http-threads", 2, 1, 64));
  ::http::server::HttpLimits limits;
  limits.max_body_bytes =
      parse_bytes("max-body-bytes", args.str("max-body-bytes", std::to_string(8 << 20)));
  const std::string level = args.str("log-level", "info");
  spdlog::set_level(spdlog::level::from_str(level));

  EngineMetrics metrics(name);
  server::ApiHandler api(name, metrics);
  server::net::io_context ioc;
  boost::system::error_code ec;
  const auto address = server::net::ip::make_address(host, ec);
  if (ec) throw UsageError("--host: '" + host + "' is not an IP address");
  ::http::server::HttpServer http(
      ioc, {address, port}, limits,
      [&api](const server::Request& req, std::shared_ptr<server::Exchange> ex) {
        api.handle(req, std::move(ex));
      },
      server::error_json);
  const auto endpoint = http.local_endpoint();
  std::printf("listening on http://%s:%u\n", endpoint.address().to_string().c_str(),
              endpoint.port());
  std::fflush(stdout);

  // Signals are handled from the start: the first drains, a second stops at once.
  bool drain_requested = false;
  server::net::signal_set signals(ioc, SIGTERM, SIGINT);
  server::net::steady_timer drain_timer(ioc);
  // Declared so that the engine (whose thread uses the model) goes first. The io threads reach
  // the engine only through `live_engine`, set once it exists.
  std::unique_ptr<Model> model;
  std::unique_ptr<Tokenizer> tokenizer;
  std::unique_ptr<ServingEngine> engine;
  std::atomic<ServingEngine*> live_engine{nullptr};
  Clock::time_point drain_deadline;
  std::function<void()> poll_drain = [&] {
    const ServingEngine* e = live_engine.load();
    const int32_t running = e ? e->in_flight() : 0;
    const bool idle = running == 0 && http.busy() == 0;
    if (idle || Clock::now() >= drain_deadline) {
      if (!idle) spdlog::warn("drain timeout: {} sequences still running", running);
      ioc.stop();
      return;
    }
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](boost::system::error_code) { poll_drain(); });
  };
  std::function<void(boost::system::error_code, int)> on_signal = [&](boost::system::error_code e,
                                                                      int sig) {
    if (e) return;
    if (drain_requested) {
      spdlog::warn("signal {} again: stopping without waiting", sig);
      ioc.stop();
      return;
    }
    spdlog::info("signal {}: draining (up to {}s)", sig, drain_timeout.count());
    drain_requested = true;
    api.begin_drain();
    http.stop_accepting();
    drain_deadline = Clock::now() + drain_timeout;
    signals.async_wait(on_signal);
    poll_drain();
  };
  signals.async_wait(on_signal);
  std::vector<std::thread> io_threads;
  for (int i = 0; i < http_threads; ++i) io_threads.emplace_back([&ioc] { ioc.run(); });
  const auto join_io = [&] {
    for (std::thread& t : io_threads) t.join();
  };

  try {
    model = std::make_unique<Model>(path, threads, device);
    spdlog::info("model {} on {}", path, model->backend().describe());
    tokenizer = std::make_unique<Tokenizer>(load_vocabulary(model->file()));
    const size_t per_block = KvCache::bytes_per_token(model->config()) * sc.block_size;
    // By default room for every seat to fill the context, within 1 GiB.
    const int32_t context = sc.max_model_len > 0
                                ? std::min(sc.max_model_len, model->config().context_length)
                                : model->config().context_length;
    const size_t wanted =
        static_cast<size_t>(sc.max_num_seqs) * context * KvCache::bytes_per_token(model->config());
    const size_t kv_bytes = args.has("kv-cache-memory")
                                ? parse_bytes("kv-cache-memory", args.str("kv-cache-memory", ""))
                                : std::min<size_t>(wanted, size_t{1} << 30);
    const size_t blocks = kv_bytes / per_block;
    if (blocks < 1 || blocks > (1u << 24)) {
      throw UsageError("--kv-cache-memory: " + std::to_string(kv_bytes) + " bytes make " +
                       std::to_string(blocks) + " blocks of " + std::to_string(per_block) +
                       " bytes; between 1 and 16777216 are possible");
    }
    sc.kv_blocks = static_cast<int32_t>(blocks);
    engine = std::make_unique<ServingEngine>(*model, *tokenizer, sc, max_waiting, metrics);
  } catch (...) {
    ioc.stop();
    join_io();
    throw;
  }
  live_engine.store(engine.get());
  api.set_ready(*engine, *tokenizer);
  spdlog::info(
      "serving {} as '{}': {} threads, {} KV blocks of {} tokens, {} seats, {} tokens/step", path,
      name, threads, sc.kv_blocks, sc.block_size, sc.max_num_seqs, sc.max_batch_tokens);

  join_io();
  spdlog::info(drain_requested ? "drained; exiting" : "stopped");
  return 0;
}

}  // namespace engine::cli
