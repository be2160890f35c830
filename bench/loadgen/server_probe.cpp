#include "server_probe.h"

#include "response_meter.h"

namespace loadgen {

using nlohmann::json;

namespace {

// Word counts of the two calibration prompts: the difference cancels the fixed overhead.
constexpr int kFewWords = 64, kManyWords = 320;
constexpr uint64_t kCalibrationIndex = uint64_t{3} << 61;

std::string reply_problem(const Reply& r) {
  if (!r.error.empty()) return r.error;
  const std::string body = one_line(r.body, 120);
  return "HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body);
}

// The token count in a /tokenize answer: "count", else the length of "tokens".
std::optional<int64_t> token_count(const Reply& r) {
  if (!r.error.empty() || r.status != 200) return std::nullopt;
  const json j = json::parse(r.body, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  if (j.contains("count") && j["count"].is_number_integer()) return j["count"].get<int64_t>();
  if (j.contains("tokens") && j["tokens"].is_array()) {
    return static_cast<int64_t>(j["tokens"].size());
  }
  return std::nullopt;
}

}  // namespace

net::awaitable<ServerInfo> probe_server(LoadClient& client, const Options& options) {
  ServerInfo info;
  info.model = options.model;
  Connection conn(co_await net::this_coro::executor);

  const Reply models = co_await client.fetch(conn, http::verb::get, "/v1/models", "");
  const json listing = models.error.empty() && models.status == 200
                           ? json::parse(models.body, nullptr, false)
                           : json();
  const json* data = listing.is_object() && listing.contains("data") && listing["data"].is_array()
                         ? &listing["data"]
                         : nullptr;
  if (info.model.empty()) {
    if (data && !data->empty() && (*data)[0].is_object() && (*data)[0].contains("id") &&
        (*data)[0]["id"].is_string()) {
      info.model = (*data)[0]["id"].get<std::string>();
    } else {
      info.warnings.push_back("could not learn the model from GET /v1/models (" +
                              (data ? std::string("no models listed") : reply_problem(models)) +
                              "); requests name none");
    }
  }
  if (data) {
    for (const json& m : *data) {
      if (m.is_object() && m.value("id", "") == info.model && m.contains("max_model_len") &&
          m["max_model_len"].is_number_integer()) {
        info.max_model_len = m["max_model_len"].get<int64_t>();
      }
    }
  }
  if (!models.error.empty()) co_return info;  // unreachable: the run will count the failures

  const Workload probe(options, info.model, PromptFit{});
  const Reply few = co_await client.fetch(conn, http::verb::post, "/tokenize",
                                          probe.prompt_json(kCalibrationIndex, kFewWords).dump());
  const Reply many =
      co_await client.fetch(conn, http::verb::post, "/tokenize",
                            probe.prompt_json(kCalibrationIndex + 1, kManyWords).dump());
  const auto n_few = token_count(few), n_many = token_count(many);
  if (n_few && n_many && *n_many > *n_few) {
    const double per_word = static_cast<double>(*n_many - *n_few) / (kManyWords - kFewWords);
    info.fit = {per_word, static_cast<double>(*n_few) - per_word * kFewWords, true};
  } else {
    info.warnings.push_back("POST /tokenize did not answer (" + reply_problem(n_few ? many : few) +
                            "); assuming one token per prompt word");
  }
  co_return info;
}

}  // namespace loadgen
