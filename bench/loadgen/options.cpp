#include "options.h"

#include <cmath>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>

namespace loadgen {
namespace {

double parse_number(const std::string& name, const std::string& text, double lo, double hi) {
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(v)) {
    throw UsageError("--" + name + ": '" + text + "' is not a number");
  }
  if (v < lo || v > hi) {
    throw UsageError("--" + name + " must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", got " + text);
  }
  return v;
}

int64_t parse_integer(const std::string& name, const std::string& text, int64_t lo, int64_t hi) {
  const double v = parse_number(name, text, static_cast<double>(lo), static_cast<double>(hi));
  if (v != std::floor(v)) throw UsageError("--" + name + ": '" + text + "' is not an integer");
  return static_cast<int64_t>(v);
}

}  // namespace

std::string usage_text() {
  return R"(usage: mistral-loadgen [options]

Drives an OpenAI-compatible server (POST /v1/completions or /v1/chat/completions) and reports
throughput and latency: time to first token (TTFT), inter-token latency (ITL, between streamed
content chunks), time per output token (TPOT) and end-to-end latency.

target
  --url URL              server base URL, http only (default http://127.0.0.1:8000)
  --endpoint E           completions | chat (default completions)
  --model NAME           model to request (default: the first one GET /v1/models lists)
  --api-key KEY          sent as "Authorization: Bearer KEY" (default: $OPENAI_API_KEY if set)

load (pick one shape)
  --concurrency N        closed loop: N workers, each sends its next request when the last ends
  --rate R               open loop: R requests/s arrive whatever the completions
  --arrival A            open loop schedule: poisson | fixed (default poisson)
  --max-inflight N       open loop: arrivals while N are in flight are dropped (default 256)
  --requests N           requests to send (open loop: arrivals, dropped ones included);
                         default 100 when --duration is not given either
  --duration S           stop issuing after S seconds; in-flight requests may finish
  --grace S              after --duration, cut requests still running after S more (default 30)
  --warmup N             first send N requests that are not counted (default 0)

requests
  --prompt-tokens N      prompt length, roughly, in tokens; random words, unique per request
                         (default 256; calibrated with POST /tokenize when the server has it)
  --max-tokens N         completion length limit (default 128)
  --ignore-eos           ask for exactly max-tokens tokens (vLLM's ignore_eos extension)
  --stream, --no-stream  stream the answers as server-sent events (default: stream)
  --temperature T        sampling temperature (default 0)
  --seed S               seed of the prompts and of the Poisson schedule (default 0)
  --timeout S            one request's limit, connect to last byte (default 300)

report
  --json FILE            also write the results and configuration as JSON
  --label TEXT           a name for this run, shown in the report
  --help                 show this text

Failed requests (refused connections, HTTP errors, broken streams, timeouts) are counted and
reported, never fatal. Exit status: 0 when some request succeeded, 1 when none did, 2 on a bad
command line, an unresolvable host or an unwritable --json file.

examples
  mistral-loadgen --url http://127.0.0.1:8000 --concurrency 16 --requests 256 --max-tokens 128
  mistral-loadgen --endpoint chat --rate 8 --duration 60 --prompt-tokens 1024 --json out.json
)";
}

Options parse_options(const std::vector<std::string>& args) {
  Options o;
  if (const char* key = std::getenv("OPENAI_API_KEY")) o.api_key = key;
  bool concurrency_given = false, rate_given = false, requests_given = false,
       duration_given = false, arrival_given = false, max_inflight_given = false;

  using Setter = std::function<void(const std::string&, const std::string&)>;
  const std::map<std::string, Setter> with_value = {
      {"url", [&](auto&, auto& v) { o.url = v; }},
      {"endpoint",
       [&](auto& n, auto& v) {
         if (v == "completions") {
           o.endpoint = Endpoint::Completions;
         } else if (v == "chat") {
           o.endpoint = Endpoint::Chat;
         } else {
           throw UsageError("--" + n + " must be completions or chat, got '" + v + "'");
         }
       }},
      {"model", [&](auto&, auto& v) { o.model = v; }},
      {"api-key", [&](auto&, auto& v) { o.api_key = v; }},
      {"concurrency",
       [&](auto& n, auto& v) {
         o.concurrency = static_cast<int>(parse_integer(n, v, 1, 100000));
         concurrency_given = true;
       }},
      {"rate",
       [&](auto& n, auto& v) {
         o.rate = parse_number(n, v, 0, 1e6);
         if (o.rate <= 0) throw UsageError("--rate must be positive");
         rate_given = true;
       }},
      {"arrival",
       [&](auto& n, auto& v) {
         if (v == "poisson") {
           o.arrival = Arrival::Poisson;
         } else if (v == "fixed") {
           o.arrival = Arrival::Fixed;
         } else {
           throw UsageError("--" + n + " must be poisson or fixed, got '" + v + "'");
         }
         arrival_given = true;
       }},
      {"max-inflight",
       [&](auto& n, auto& v) {
         o.max_inflight = static_cast<int>(parse_integer(n, v, 1, 100000));
         max_inflight_given = true;
       }},
      {"requests",
       [&](auto& n, auto& v) {
         o.requests = parse_integer(n, v, 1, int64_t{1} << 40);
         requests_given = true;
       }},
      {"duration",
       [&](auto& n, auto& v) {
         o.duration_s = parse_number(n, v, 0, 1e7);
         if (o.duration_s <= 0) throw UsageError("--duration must be positive");
         duration_given = true;
       }},
      {"grace", [&](auto& n, auto& v) { o.grace_s = parse_number(n, v, 0, 1e7); }},
      {"warmup",
       [&](auto& n, auto& v) { o.warmup = static_cast<int>(parse_integer(n, v, 0, 1000000)); }},
      {"prompt-tokens",
       [&](auto& n, auto& v) {
         o.prompt_tokens = static_cast<int>(parse_integer(n, v, 1, 10000000));
       }},
      {"max-tokens",
       [&](auto& n, auto& v) {
         o.max_tokens = static_cast<int>(parse_integer(n, v, 1, 10000000));
       }},
      {"temperature", [&](auto& n, auto& v) { o.temperature = parse_number(n, v, 0, 100); }},
      {"seed",
       [&](auto& n, auto& v) {
         o.seed = static_cast<uint64_t>(parse_integer(n, v, 0, int64_t{1} << 53));
       }},
      {"timeout",
       [&](auto& n, auto& v) {
         o.timeout_s = parse_number(n, v, 0, 1e7);
         if (o.timeout_s <= 0) throw UsageError("--timeout must be positive");
       }},
      {"json", [&](auto&, auto& v) { o.json_path = v; }},
      {"label", [&](auto&, auto& v) { o.label = v; }},
  };
  const std::map<std::string, std::function<void()>> flags = {
      {"ignore-eos", [&] { o.ignore_eos = true; }},
      {"stream", [&] { o.stream = true; }},
      {"no-stream", [&] { o.stream = false; }},
      {"help", [&] { o.help = true; }},
  };

  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") {
      o.help = true;
      continue;
    }
    if (arg.rfind("--", 0) != 0) throw UsageError("unexpected argument '" + arg + "'");
    std::string name = arg.substr(2), value;
    const size_t eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (auto f = flags.find(name); f != flags.end()) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      f->second();
    } else if (auto s = with_value.find(name); s != with_value.end()) {
      if (!inline_value) {
        if (i + 1 >= args.size()) throw UsageError("--" + name + " needs a value");
        value = args[++i];
      }
      s->second(name, value);
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
  if (o.help) return o;

  if (concurrency_given && rate_given) {
    throw UsageError("--concurrency (closed loop) and --rate (open loop) exclude each other");
  }
  if (!rate_given && (arrival_given || max_inflight_given)) {
    throw UsageError("--arrival and --max-inflight apply to --rate only");
  }
  if (!concurrency_given && !rate_given) o.concurrency = 1;
  // Without any limit the run would never end on its own.
  if (!requests_given && !duration_given) o.requests = 100;
  return o;
}

std::string endpoint_name(Endpoint e) { return e == Endpoint::Chat ? "chat" : "completions"; }

std::string endpoint_path(Endpoint e) {
  return e == Endpoint::Chat ? "/v1/chat/completions" : "/v1/completions";
}

nlohmann::json options_json(const Options& o) {
  using nlohmann::json;
  json j = {
      {"url", o.url},
      {"endpoint", endpoint_name(o.endpoint)},
      {"model", o.model},
      {"mode", o.rate > 0 ? "open_loop" : "closed_loop"},
      {"concurrency", o.rate > 0 ? json() : json(o.concurrency)},
      {"rate", o.rate > 0 ? json(o.rate) : json()},
      {"arrival", o.rate > 0 ? json(o.arrival == Arrival::Poisson ? "poisson" : "fixed") : json()},
      {"max_inflight", o.rate > 0 ? json(o.max_inflight) : json()},
      {"requests", o.requests > 0 ? json(o.requests) : json()},
      {"duration_s", o.duration_s > 0 ? json(o.duration_s) : json()},
      {"grace_s", o.grace_s},
      {"prompt_tokens", o.prompt_tokens},
      {"max_tokens", o.max_tokens},
      {"ignore_eos", o.ignore_eos},
      {"stream", o.stream},
      {"temperature", o.temperature},
      {"warmup", o.warmup},
      {"seed", o.seed},
      {"timeout_s", o.timeout_s},
      {"label", o.label}};
  return j;
}

}  // namespace loadgen
