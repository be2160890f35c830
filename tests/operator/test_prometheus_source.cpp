// Reading the fleet's load from Prometheus: the source an InferenceService's
// spec.scaling.prometheus describes (default queries on the engine's served name), and the instant
// queries against a fixture Prometheus on loopback: vectors summed, scalars, empty answers, and
// every failure (error answers, bad JSON, non-finite values, refused connections, silence) a
// nullopt.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>

#include "autoscaling/prometheus_source.h"
#include "loopback_http_server.h"
#include "resources/json_fields.h"

namespace {

using autoscaling::prometheus_source;
using autoscaling::PrometheusSource;
using autoscaling::query_totals;
using nlohmann::json;
using test_support::LoopbackHttpServer;
namespace net = boost::asio;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

json isvc_with(json scaling, json model = {{"uri", "hf://org/repo/mistral-7b.Q4_K_M.gguf"},
                                           {"servedName", "mistral-7b"}}) {
  return {{"apiVersion", "mistral.ai/v1alpha1"},
          {"kind", "InferenceService"},
          {"metadata", {{"name", "chat"}, {"namespace", "team-a"}}},
          {"spec", {{"model", std::move(model)}, {"scaling", std::move(scaling)}}}};
}

json prometheus_scaling(json prometheus) {
  return {{"mode", "queueDepth"}, {"prometheus", std::move(prometheus)}};
}

TEST(PrometheusSource, AbsentWhenNotConfigured) {
  EXPECT_FALSE(prometheus_source(isvc_with(json::object())));
  EXPECT_FALSE(prometheus_source(isvc_with({{"mode", "queueDepth"}, {"maxReplicas", 8}})));
  json no_scaling = isvc_with(json::object());
  no_scaling["spec"].erase("scaling");
  EXPECT_FALSE(prometheus_source(no_scaling));
}

TEST(PrometheusSource, DefaultQueriesMatchTheServedName) {
  const auto source = prometheus_source(
      isvc_with(prometheus_scaling({{"url", "http://prometheus.monitoring.svc:9090/"}})));
  ASSERT_TRUE(source);
  EXPECT_EQ(source->url, "http://prometheus.monitoring.svc:9090");
  EXPECT_EQ(source->query,
            "sum(vllm:num_requests_waiting{namespace=\"team-a\",model_name=\"mistral-7b\"})");
  EXPECT_EQ(source->running_query,
            "sum(vllm:num_requests_running{namespace=\"team-a\",model_name=\"mistral-7b\"})");
  EXPECT_EQ(source->kv_cache_query,
            "sum(vllm:kv_cache_usage_perc{namespace=\"team-a\",model_name=\"mistral-7b\"}) or "
            "sum(vllm:gpu_cache_usage_perc{namespace=\"team-a\",model_name=\"mistral-7b\"})");
}

TEST(PrometheusSource, ServedNameDefaultsToTheFileName) {
  const auto source = prometheus_source(
      isvc_with(prometheus_scaling({{"url", "https://prom.example.com/prometheus//"}}),
                {{"uri", "pvc://models/mistral/Mistral-7B-v0.3.Q4_K_M.gguf"}}));
  ASSERT_TRUE(source);
  EXPECT_EQ(source->url, "https://prom.example.com/prometheus");
  EXPECT_EQ(
      source->query,
      "sum(vllm:num_requests_waiting{namespace=\"team-a\",model_name=\"Mistral-7B-v0.3.Q4_K_M\"})");
}

TEST(PrometheusSource, CustomQueryLeavesTheOthersOnTheDefaultMatchers) {
  const std::string custom = "sum(my:queue_depth{app=\"chat\"})";
  const auto source = prometheus_source(
      isvc_with(prometheus_scaling({{"url", "http://prom:9090"}, {"query", custom}})));
  ASSERT_TRUE(source);
  EXPECT_EQ(source->query, custom);
  EXPECT_EQ(source->running_query,
            "sum(vllm:num_requests_running{namespace=\"team-a\",model_name=\"mistral-7b\"})");
}

TEST(PrometheusSource, UnusableSpecsNameTheField) {
  const auto field_of = [](const json& isvc) -> std::string {
    try {
      prometheus_source(isvc);
    } catch (const resources::SpecError& e) {
      return e.field();
    }
    return "(no SpecError)";
  };
  EXPECT_EQ(field_of(isvc_with(prometheus_scaling(json::object()))), "spec.scaling.prometheus.url");
  EXPECT_EQ(field_of(isvc_with(prometheus_scaling({{"url", "ftp://prom"}}))),
            "spec.scaling.prometheus.url");
  EXPECT_EQ(field_of(isvc_with(prometheus_scaling({{"url", "http://prom:9090/?x=1"}}))),
            "spec.scaling.prometheus.url");
  EXPECT_EQ(field_of(isvc_with(prometheus_scaling({{"url", 9090}}))),
            "spec.scaling.prometheus.url");
  EXPECT_EQ(field_of(isvc_with(prometheus_scaling("http://prom"))), "spec.scaling.prometheus");
  json no_namespace = isvc_with(prometheus_scaling({{"url", "http://prom"}}));
  no_namespace["metadata"].erase("namespace");
  EXPECT_EQ(field_of(no_namespace), "metadata.namespace");
  EXPECT_THROW(prometheus_source(isvc_with(prometheus_scaling({{"url", "http://prom"}}),
                                           {{"uri", "s3://bucket/m.gguf"}})),
               std::invalid_argument);
}

// The query parameter as Prometheus reads it.
std::string percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

struct Answer {
  bhttp::status status = bhttp::status::ok;
  std::string body;
};

json vector_of(const std::vector<std::string>& values) {
  json result = json::array();
  for (size_t i = 0; i < values.size(); ++i) {
    result.push_back({{"metric", {{"pod", "chat-" + std::to_string(i)}}},
                      {"value", {1.7e9 + static_cast<double>(i), values[i]}}});
  }
  return {{"status", "success"}, {"data", {{"resultType", "vector"}, {"result", result}}}};
}

json scalar_of(const std::string& value) {
  return {{"status", "success"}, {"data", {{"resultType", "scalar"}, {"result", {1.7e9, value}}}}};
}

// A Prometheus that answers each query from a table and remembers what it was asked.
class FakePrometheus {
 public:
  explicit FakePrometheus(std::chrono::milliseconds delay = 0ms)
      : server_([this, delay](const http::server::Request& req, auto ex) {
          const std::string target(req.target());
          const size_t q = target.find("?query=");
          const std::string query =
              q == std::string::npos ? "" : percent_decode(target.substr(q + 7));
          Answer answer{bhttp::status::not_found, "{}"};
          {
            std::lock_guard lock(mutex_);
            targets_.push_back(target);
            queries_.push_back(query);
            if (target.rfind("/prom/api/v1/query?", 0) == 0 && answers_.count(query)) {
              answer = answers_.at(query);
            }
          }
          auto timer = std::make_shared<net::steady_timer>(server_.ioc(), delay);
          timer->async_wait([timer, ex, answer](boost::system::error_code) {
            ex->respond(answer.status, "application/json", answer.body);
          });
        }) {}

  void answer(const std::string& query, Answer a) {
    std::lock_guard lock(mutex_);
    answers_[query] = std::move(a);
  }
  void answer(const std::string& query, const json& body) {
    answer(query, Answer{bhttp::status::ok, body.dump()});
  }
  std::vector<std::string> queries() {
    std::lock_guard lock(mutex_);
    return queries_;
  }
  std::vector<std::string> targets() {
    std::lock_guard lock(mutex_);
    return targets_;
  }
  // A source on this server, with each query named for the test.
  PrometheusSource source(std::string waiting, std::string running = "running",
                          std::string kv = "kv") {
    return {server_.url("/prom"), std::move(waiting), std::move(running), std::move(kv)};
  }
  std::string url(std::string_view path) const { return server_.url(path); }

 private:
  std::mutex mutex_;
  std::map<std::string, Answer> answers_;
  std::vector<std::string> queries_, targets_;
  LoopbackHttpServer server_;  // last: stopped before the table it reads goes away
};

TEST(PrometheusQuery, SumsTheVectorOfTheDefaultQuery) {
  FakePrometheus prometheus;
  const auto source =
      prometheus_source(isvc_with(prometheus_scaling({{"url", prometheus.url("/prom/")}})));
  ASSERT_TRUE(source);
  prometheus.answer(source->query, vector_of({"3", "4.5"}));
  const auto totals = query_totals(*source, false, false, 5s);
  ASSERT_TRUE(totals);
  EXPECT_DOUBLE_EQ(totals->waiting, 7.5);
  EXPECT_EQ(totals->running, 0);
  EXPECT_EQ(totals->kv_cache_usage, 0);
  // Only the waiting query, encoded so that Prometheus reads it back unchanged.
  EXPECT_EQ(prometheus.targets(),
            std::vector<std::string>{
                "/prom/api/v1/query?query=sum%28vllm%3Anum_requests_waiting%7Bnamespace%3D%22team-"
                "a%22%2Cmodel_name%3D%22mistral-7b%22%7D%29"});
}

TEST(PrometheusQuery, RunningAndKvCacheOnlyWhenAsked) {
  FakePrometheus prometheus;
  const PrometheusSource source = prometheus.source("waiting + 1 > 0");
  prometheus.answer("waiting + 1 > 0", vector_of({"2"}));
  prometheus.answer("running", vector_of({"5", "6", "7"}));
  prometheus.answer("kv", scalar_of("1.25"));

  const auto running_only = query_totals(source, true, false, 5s);
  ASSERT_TRUE(running_only);
  EXPECT_DOUBLE_EQ(running_only->waiting, 2);
  EXPECT_DOUBLE_EQ(running_only->running, 18);
  EXPECT_EQ(running_only->kv_cache_usage, 0);

  const auto kv_only = query_totals(source, false, true, 5s);
  ASSERT_TRUE(kv_only);
  EXPECT_EQ(kv_only->running, 0);
  EXPECT_DOUBLE_EQ(kv_only->kv_cache_usage, 1.25);

  EXPECT_EQ(prometheus.queries(),
            (std::vector<std::string>{"waiting + 1 > 0", "running", "waiting + 1 > 0", "kv"}));
}

TEST(PrometheusQuery, AnEmptyVectorIsZero) {
  FakePrometheus prometheus;
  prometheus.answer("nothing", vector_of({}));
  prometheus.answer("kv", scalar_of("0"));
  prometheus.answer("running", vector_of({}));
  const auto totals = query_totals(prometheus.source("nothing"), true, true, 5s);
  ASSERT_TRUE(totals);
  EXPECT_EQ(totals->waiting, 0);
  EXPECT_EQ(totals->running, 0);
  EXPECT_EQ(totals->kv_cache_usage, 0);
}

TEST(PrometheusQuery, EveryFailureIsNullopt) {
  FakePrometheus prometheus;
  const json matrix = {
      {"status", "success"},
      {"data",
       {{"resultType", "matrix"},
        {"result", json::array({{{"metric", json::object()}, {"values", {{1.7e9, "1"}}}}})}}}};
  const std::map<std::string, Answer> failures = {
      {"bad-request",
       {bhttp::status::bad_request,
        R"({"status":"error","errorType":"bad_data","error":"1:5: parse error"})"}},
      {"unavailable", {bhttp::status::service_unavailable, "<html>down</html>"}},
      {"status-error", {bhttp::status::ok, R"({"status":"error","error":"timeout"})"}},
      {"not-json", {bhttp::status::ok, "{\"status\": \"succ"}},
      {"array", {bhttp::status::ok, "[1, 2]"}},
      {"no-data", {bhttp::status::ok, R"({"status":"success"})"}},
      {"nan", {bhttp::status::ok, vector_of({"1", "NaN"}).dump()}},
      {"infinite", {bhttp::status::ok, scalar_of("+Inf").dump()}},
      {"not-a-number", {bhttp::status::ok, vector_of({"twelve"}).dump()}},
      {"number-not-string",
       {bhttp::status::ok,
        R"({"status":"success","data":{"resultType":"scalar","result":[1.7e9, 12]}})"}},
      {"no-value",
       {bhttp::status::ok,
        R"({"status":"success","data":{"resultType":"vector","result":[{"metric":{}}]}})"}},
      {"matrix", {bhttp::status::ok, matrix.dump()}},
  };
  for (const auto& [query, answer] : failures) prometheus.answer(query, answer);
  for (const auto& [query, answer] : failures) {
    EXPECT_FALSE(query_totals(prometheus.source(query), false, false, 5s)) << query;
  }
  // A later query failing fails the whole reading: half a reading would scale on a zero.
  prometheus.answer("ok", vector_of({"3"}));
  EXPECT_FALSE(query_totals(prometheus.source("ok", "nan"), true, false, 5s));
  EXPECT_FALSE(query_totals(prometheus.source("ok", "running", "bad-request"), false, true, 5s));
  EXPECT_TRUE(query_totals(prometheus.source("ok"), false, false, 5s));
}

TEST(PrometheusQuery, UnreachablePrometheusIsNullopt) {
  const std::string closed =
      "http://127.0.0.1:" + std::to_string(test_support::closed_loopback_port());
  EXPECT_FALSE(query_totals({closed, "q", "r", "k"}, true, true, 5s));
}

TEST(PrometheusQuery, TheTimeoutBoundsAllQueriesTogether) {
  // Each answer takes 200 ms: one query fits in 500 ms, three do not.
  FakePrometheus prometheus(200ms);
  prometheus.answer("waiting", vector_of({"1"}));
  prometheus.answer("running", vector_of({"1"}));
  prometheus.answer("kv", vector_of({"0.5"}));
  EXPECT_TRUE(query_totals(prometheus.source("waiting"), false, false, 500ms));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(query_totals(prometheus.source("waiting"), true, true, 500ms));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 5s);
}

}  // namespace
