// Prometheus metrics and their text exposition format (version 0.0.4), shared by the engine and
// the operator. Metrics are updated from any thread; render() may run concurrently with updates.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace prom {

// Label pairs in the order they are rendered.
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double by = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double by);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative), last is +Inf
  double sum_ = 0;
};

enum class MetricType { Counter, Gauge, Histogram };

// One metric name with HELP and TYPE, and one child per label set.
template <class M>
class Family {
 public:
  Family(std::string name, std::string help, Labels const_labels, std::vector<double> buckets = {})
      : name_(std::move(name)),
        help_(std::move(help)),
        const_labels_(std::move(const_labels)),
        buckets_(std::move(buckets)) {}

  // The child for these labels (added after the registry's constant labels); created on first use.
  // The reference stays valid until remove() of the same labels.
  M& with(const Labels& labels = {});
  // Drops the child (a series whose object is gone), so it is no longer rendered.
  void remove(const Labels& labels);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  // Children in creation order with their full label sets; safe to read while others remove.
  std::vector<std::pair<Labels, std::shared_ptr<const M>>> children() const;

 private:
  std::string name_, help_;
  Labels const_labels_;
  std::vector<double> buckets_;
  mutable std::mutex mutex_;
  std::map<Labels, std::shared_ptr<M>> by_labels_;
  std::vector<std::pair<Labels, std::shared_ptr<const M>>> ordered_;
};

class Registry {
 public:
  // `const_labels` go on every sample (the engine's model_name, for one).
  explicit Registry(Labels const_labels = {}) : const_labels_(std::move(const_labels)) {}

  Family<Counter>& counter(const std::string& name, const std::string& help);
  Family<Gauge>& gauge(const std::string& name, const std::string& help);
  Family<Histogram>& histogram(const std::string& name, const std::string& help,
                               std::vector<double> buckets);

  // The text exposition of every metric, in registration order.
  std::string render() const;

 private:
  Labels const_labels_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::pair<MetricType, size_t>> order_;
};

// Label values escaped as the format requires (backslash, double quote, newline).
std::string escape_label_value(const std::string& v);
// A sample value as Prometheus prints it: integers without a fraction, +Inf, NaN.
std::string format_value(double v);

}  // namespace prom
