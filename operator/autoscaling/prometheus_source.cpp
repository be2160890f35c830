#include "autoscaling/prometheus_source.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

#include "http/http_client.h"
#include "resources/engine_command.h"
#include "resources/json_fields.h"
#include "resources/model_source.h"

namespace autoscaling {

namespace {

using SteadyClock = std::chrono::steady_clock;

// A PromQL string literal.
std::string promql_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// Everything but RFC 3986's unreserved characters percent-encoded: PromQL is full of characters
// ({}":=,+ and blanks) that mean something else in a query string.
std::string url_encode(std::string_view s) {
  constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xf];
    }
  }
  return out;
}

// A sample value as the API writes it: a JSON string such as "12", "0.5", "NaN" or "+Inf".
std::optional<double> sample_value(const nlohmann::json& pair) {
  if (!pair.is_array() || pair.size() != 2 || !pair[1].is_string()) return std::nullopt;
  std::string_view text = pair[1].get_ref<const std::string&>();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

// "errorType: error" of an error answer, or "" when the body does not say.
std::string api_error(const nlohmann::json& doc) {
  if (!doc.is_object()) return "";
  std::string out;
  for (const char* key : {"errorType", "error"}) {
    const auto it = doc.find(key);
    if (it == doc.end() || !it->is_string()) continue;
    if (!out.empty()) out += ": ";
    out += it->get<std::string>();
  }
  return out;
}

// The sum an instant query's answer stands for, or why there is none.
std::optional<double> answer_total(const std::string& body, std::string& why) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    why = "the answer is not a JSON object";
    return std::nullopt;
  }
  const auto status = doc.find("status");
  if (status == doc.end() || *status != "success") {
    const std::string detail = api_error(doc);
    why = "the query failed" + (detail.empty() ? std::string() : ": " + detail);
    return std::nullopt;
  }
  const auto data = doc.find("data");
  if (data == doc.end() || !data->is_object() || !data->contains("resultType") ||
      !data->contains("result")) {
    why = "the answer has no data.resultType and data.result";
    return std::nullopt;
  }
  const nlohmann::json& type = (*data)["resultType"];
  const nlohmann::json& result = (*data)["result"];
  std::optional<double> total;
  if (type == "scalar") {
    total = sample_value(result);
  } else if (type == "vector" && result.is_array()) {
    total = 0.0;  // no series: nothing waiting anywhere
    for (const nlohmann::json& series : result) {
      const std::optional<double> v = series.is_object() && series.contains("value")
                                          ? sample_value(series["value"])
                                          : std::nullopt;
      if (!v) {
        total.reset();
        break;
      }
      *total += *v;
    }
  } else {
    why = "the query gives a " + (type.is_string() ? type.get<std::string>() : type.dump()) +
          ", not a vector or a scalar";
    return std::nullopt;
  }
  if (!total) {
    why = "a sample is not a [time, \"value\"] pair";
  } else if (!std::isfinite(*total)) {
    why = "the total is not a finite number";
    total.reset();
  }
  return total;
}

std::optional<double> run_query(http::Client& client, const std::string& base,
                                const std::string& query, SteadyClock::time_point deadline) {
  std::string why;
  try {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now());
    if (left.count() <= 0) {
      why = "no time left";
    } else {
      http::Request request;
      request.url = base + "/api/v1/query?query=" + url_encode(query);
      request.timeout = left;
      const http::Response response = client.send(request);
      if (response.status == 200) {
        if (std::optional<double> total = answer_total(response.body, why)) return total;
      } else {
        const std::string detail = api_error(nlohmann::json::parse(response.body, nullptr, false));
        why = "HTTP status " + std::to_string(response.status) +
              (detail.empty() ? std::string() : ": " + detail);
      }
    }
  } catch (const std::exception& e) {
    why = e.what();
  }
  spdlog::debug("Prometheus query {} at {} failed: {}", query, base, why);
  return std::nullopt;
}

}  // namespace

std::optional<PrometheusSource> prometheus_source(const nlohmann::json& isvc) {
  if (!resources::object_field(isvc, "spec.scaling.prometheus")) return std::nullopt;
  constexpr std::string_view kUrlField = "spec.scaling.prometheus.url";
  PrometheusSource source;
  source.url = resources::string_field(isvc, kUrlField).value_or("");
  if (source.url.empty()) throw resources::SpecError(std::string(kUrlField), "is required");
  try {
    http::Url::parse(source.url);
  } catch (const std::invalid_argument& e) {
    throw resources::SpecError(std::string(kUrlField), e.what());
  }
  if (source.url.find_first_of("?#") != std::string::npos) {
    throw resources::SpecError(std::string(kUrlField),
                               "must be a base URL, without a query or fragment");
  }
  // The API path is appended to the base, which may carry a path prefix of its own.
  while (!source.url.empty() && source.url.back() == '/') source.url.pop_back();

  const std::optional<std::string> ns = resources::string_field(isvc, "metadata.namespace");
  if (!ns || ns->empty()) throw resources::SpecError("metadata.namespace", "is required");
  const std::optional<std::string> uri = resources::string_field(isvc, "spec.model.uri");
  if (!uri) throw resources::SpecError("spec.model.uri", "is required");
  const std::string served = resources::served_model_name(isvc, resources::parse_model_uri(*uri));
  const std::string matchers =
      "{namespace=" + promql_string(*ns) + ",model_name=" + promql_string(served) + "}";

  source.query = resources::string_field(isvc, "spec.scaling.prometheus.query").value_or("");
  if (source.query.empty()) source.query = "sum(vllm:num_requests_waiting" + matchers + ")";
  source.running_query = "sum(vllm:num_requests_running" + matchers + ")";
  // `or` keeps the first when it has a series: engines too old for the new name still count.
  source.kv_cache_query = "sum(vllm:kv_cache_usage_perc" + matchers +
                          ") or sum(vllm:gpu_cache_usage_perc" + matchers + ")";
  return source;
}

std::optional<EngineLoad> query_totals(const PrometheusSource& source, bool running, bool kv,
                                       std::chrono::milliseconds timeout) {
  const SteadyClock::time_point deadline = SteadyClock::now() + timeout;
  std::optional<http::Client> client;
  try {
    client.emplace();
  } catch (const std::exception& e) {
    spdlog::debug("Prometheus at {}: no HTTP client: {}", source.url, e.what());
    return std::nullopt;
  }
  EngineLoad totals;
  const auto ask = [&](const std::string& query, double& into) {
    const std::optional<double> total = run_query(*client, source.url, query, deadline);
    if (total) into = *total;
    return total.has_value();
  };
  if (!ask(source.query, totals.waiting)) return std::nullopt;
  if (running && !ask(source.running_query, totals.running)) return std::nullopt;
  if (kv && !ask(source.kv_cache_query, totals.kv_cache_usage)) return std::nullopt;
  return totals;
}

}  // namespace autoscaling
