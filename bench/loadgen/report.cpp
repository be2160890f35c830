#include "report.h"

#include <chrono>
#include <cstdarg>
#include <ctime>

#include "response_meter.h"

namespace loadgen {

using nlohmann::json;

namespace {

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return buf;
}

std::string load_shape(const Options& o) {
  std::string s;
  if (o.rate > 0) {
    s = format("open loop, %g req/s %s, at most %d in flight", o.rate,
               o.arrival == Arrival::Poisson ? "poisson" : "fixed", o.max_inflight);
  } else {
    s = format("closed loop, concurrency %d", o.concurrency);
  }
  if (o.requests > 0) s += format(", %lld requests", static_cast<long long>(o.requests));
  if (o.duration_s > 0) s += format(", %g s", o.duration_s);
  return s;
}

std::string request_shape(const Options& o, const PromptFit& fit) {
  std::string s = format(
      "prompt ~%d tokens (%d words, %s), max_tokens %d", o.prompt_tokens,
      fit.words_for(o.prompt_tokens),
      fit.calibrated ? format("%.2f tokens/word", fit.tokens_per_word).c_str() : "not calibrated",
      o.max_tokens);
  if (o.ignore_eos) s += ", ignore_eos";
  s += o.stream ? ", stream" : ", no stream";
  s += format(", temperature %g", o.temperature);
  return s;
}

std::string latency_row(const char* name, const Distribution& d) {
  if (d.count == 0) return format("  %-6s %10s\n", name, "-");
  return format("  %-6s %10.2f %10.2f %10.2f %10.2f %10.2f %9lld\n", name, d.mean * 1e3,
                d.p50 * 1e3, d.p90 * 1e3, d.p99 * 1e3, d.max * 1e3,
                static_cast<long long>(d.count));
}

json distribution_json(const Distribution& d) {
  if (d.count == 0) return {{"count", 0}};
  return {{"count", d.count},   {"mean", d.mean * 1e3}, {"min", d.min * 1e3}, {"p50", d.p50 * 1e3},
          {"p90", d.p90 * 1e3}, {"p99", d.p99 * 1e3},   {"max", d.max * 1e3}};
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void print_report(std::FILE* out, const ReportInput& in) {
  const Options& o = in.options;
  const Summary& s = in.summary;
  std::string t;
  t += "mistral-loadgen" + (o.label.empty() ? "" : ": " + o.label) + "\n";
  t += format("  target     %s  (model %s)\n", in.target.c_str(),
              o.model.empty() ? "unnamed" : o.model.c_str());
  t += "  load       " + load_shape(o) + "\n";
  t += "  requests   " + request_shape(o, in.server.fit) + "\n";
  if (o.warmup > 0) {
    t += format("  warmup     %d requests, not counted (%lld ok)\n", o.warmup,
                static_cast<long long>(in.outcome.warmup_ok));
  }
  t += "\n";
  t += format("  %-22s %10lld\n", "requests ok", static_cast<long long>(s.ok));
  t += format("  %-22s %10lld\n", "errors", static_cast<long long>(s.failed));
  for (const ErrorCount& e : s.errors) {
    // Categories vary in length, so the count goes first to keep the column.
    t += format("  %33lld  %s%s\n", static_cast<long long>(e.count), e.category.c_str(),
                e.example.empty() ? "" : (" (" + one_line(e.example, 100) + ")").c_str());
  }
  if (s.aborted > 0) {
    t += format("  %-22s %10lld  (cut off by the end of the run)\n", "aborted",
                static_cast<long long>(s.aborted));
  }
  if (o.rate > 0) {
    t += format("  %-22s %10lld  (--max-inflight reached)\n", "dropped arrivals",
                static_cast<long long>(s.dropped));
    t += format("  %-22s %10.2f\n", "sent requests/s", s.send_rate);
  }
  t += format("  %-22s %10.2f\n", "duration (s)", s.duration_s);
  t += format("  %-22s %10.2f\n", "requests/s", s.request_rate);
  const double per_ok = s.ok > 0 ? 1.0 / static_cast<double>(s.ok) : 0.0;
  t += format("  %-22s %10.1f  (%lld tokens, %.1f per request)\n", "output tokens/s",
              s.output_token_rate, static_cast<long long>(s.output_tokens),
              static_cast<double>(s.output_tokens) * per_ok);
  t += format("  %-22s %10.1f  (%lld tokens, %.1f per request)\n", "input tokens/s",
              s.input_token_rate, static_cast<long long>(s.prompt_tokens),
              static_cast<double>(s.prompt_tokens) * per_ok);
  t += format("  %-22s %10d\n", "peak in flight", s.peak_inflight);
  t += "\n";
  t += format("  %-6s %10s %10s %10s %10s %10s %9s\n", "ms", "mean", "p50", "p90", "p99", "max",
              "n");
  t += latency_row("TTFT", s.ttft);
  t += latency_row("ITL", s.itl);
  t += latency_row("TPOT", s.tpot);
  t += latency_row("E2E", s.e2e);

  std::string notes;
  if (o.stream) notes += "  ITL is measured between streamed chunks that carry text.\n";
  if (s.ok > s.usage_reported) {
    notes += format("  %lld answers had no usage report: their tokens are counted as chunks%s.\n",
                    static_cast<long long>(s.ok - s.usage_reported),
                    o.stream ? "" : " (none, without streaming)");
  }
  if (in.outcome.cut_by_grace) {
    notes += "  Requests still running --grace seconds after --duration were aborted.\n";
  }
  if (in.outcome.interrupted) notes += "  The run was interrupted; these are partial results.\n";
  if (!notes.empty()) t += "\n" + notes;
  std::fputs(t.c_str(), out);
  std::fflush(out);
}

json report_json(const ReportInput& in) {
  const Summary& s = in.summary;
  json config = options_json(in.options);
  config["target"] = in.target;
  config["prompt_words"] = in.server.fit.words_for(in.options.prompt_tokens);
  config["tokens_per_word"] =
      in.server.fit.calibrated ? json(in.server.fit.tokens_per_word) : json();
  if (in.server.max_model_len) config["max_model_len"] = *in.server.max_model_len;

  json errors = json::array();
  for (const ErrorCount& e : s.errors) {
    errors.push_back({{"category", e.category}, {"count", e.count}, {"example", e.example}});
  }
  const bool open_loop = in.options.rate > 0;
  return {
      {"tool", "mistral-loadgen"},
      {"label", in.options.label},
      {"finished_at", utc_now()},
      {"config", config},
      {"summary",
       {{"requests_ok", s.ok},
        {"errors", s.failed},
        {"aborted", s.aborted},
        {"dropped", open_loop ? json(s.dropped) : json()},
        {"duration_s", s.duration_s},
        {"requests_per_s", s.request_rate},
        {"sent_requests_per_s", s.send_rate},
        {"output_tokens_per_s", s.output_token_rate},
        {"input_tokens_per_s", s.input_token_rate},
        {"output_tokens", s.output_tokens},
        {"input_tokens", s.prompt_tokens},
        {"usage_reported", s.usage_reported},
        {"peak_inflight", s.peak_inflight},
        {"warmup_ok", in.outcome.warmup_ok},
        {"warmup_failed", in.outcome.warmup_failed},
        {"interrupted", in.outcome.interrupted},
        {"cut_by_grace", in.outcome.cut_by_grace}}},
      {"errors", errors},
      {"latency_ms",
       {{"ttft", distribution_json(s.ttft)},
        {"itl", distribution_json(s.itl)},
        {"tpot", distribution_json(s.tpot)},
        {"e2e", distribution_json(s.e2e)}}},
  };
}

}  // namespace loadgen
