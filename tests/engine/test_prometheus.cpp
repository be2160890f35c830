// The Prometheus text exposition: HELP/TYPE per metric, constant and per-child labels, escaping,
// cumulative histogram buckets with +Inf, _sum and _count.
#include <gtest/gtest.h>

#include <thread>

#include "prometheus/metrics.h"

TEST(Prometheus, RendersCountersGaugesAndLabels) {
  prom::Registry r(prom::Labels{{"model_name", "m\"x\\y\nz"}});
  auto& requests = r.counter("vllm:request_success_total", "Finished.\nTwo lines.");
  requests.with({{"finished_reason", "stop"}}).inc(2);
  requests.with({{"finished_reason", "length"}}).inc();
  r.gauge("vllm:kv_cache_usage_perc", "Usage.").with().set(0.25);
  EXPECT_EQ(r.render(),
            "# HELP vllm:request_success_total Finished.\\nTwo lines.\n"
            "# TYPE vllm:request_success_total counter\n"
            "vllm:request_success_total{model_name=\"m\\\"x\\\\y\\nz\",finished_reason=\"stop\"} 2\n"
            "vllm:request_success_total{model_name=\"m\\\"x\\\\y\\nz\",finished_reason=\"length\"} 1\n"
            "# HELP vllm:kv_cache_usage_perc Usage.\n"
            "# TYPE vllm:kv_cache_usage_perc gauge\n"
            "vllm:kv_cache_usage_perc{model_name=\"m\\\"x\\\\y\\nz\"} 0.25\n");
}

TEST(Prometheus, HistogramBucketsAreCumulative) {
  prom::Registry r;
  auto& h = r.histogram("latency_seconds", "Latency.", {0.1, 1, 10}).with();
  for (double v : {0.05, 0.1, 0.5, 2.0, 100.0}) h.observe(v);
  EXPECT_EQ(r.render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"10\"} 4\n"
            "latency_seconds_bucket{le=\"+Inf\"} 5\n"
            "latency_seconds_sum 102.65\n"
            "latency_seconds_count 5\n");
}

TEST(Prometheus, ConcurrentUpdatesAreNotLost) {
  prom::Registry r;
  prom::Counter& c = r.counter("n_total", "N.").with();
  prom::Gauge& g = r.gauge("g", "G.").with();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        g.add(1);
        g.add(-1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000);
  EXPECT_EQ(g.value(), 0);
  EXPECT_THROW(c.inc(-1), std::invalid_argument);
}

TEST(Prometheus, ValueFormatting) {
  EXPECT_EQ(prom::format_value(3), "3");
  EXPECT_EQ(prom::format_value(0.1), "0.1");
  EXPECT_EQ(prom::format_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(prom::format_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(prom::format_value(0.0 / 0.0), "NaN");
}
