#include "prometheus/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace prom {

namespace {

void atomic_add(std::atomic<double>& a, double by) {
  double cur = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(cur, cur + by, std::memory_order_relaxed)) {
  }
}

std::string render_labels(const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && extra == nullptr) return "";
  std::string s = "{";
  bool first = true;
  const auto add = [&](const std::string& k, const std::string& v) {
    if (!first) s += ",";
    first = false;
    s += k + "=\"" + escape_label_value(v) + "\"";
  };
  for (const auto& [k, v] : labels) add(k, v);
  if (extra) add(extra->first, extra->second);
  return s + "}";
}

std::string escape_help(const std::string& h) {
  std::string out;
  for (char c : h) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

template <class M>
void render_header(std::string& out, const Family<M>& f, const char* type) {
  out += "# HELP " + f.name() + " " + escape_help(f.help()) + "\n";
  out += "# TYPE " + f.name() + " " + type + "\n";
}

// A counter or gauge family: one sample per child.
template <class M>
void render_scalars(std::string& out, const Family<M>& f, const char* type) {
  render_header(out, f, type);
  for (const auto& [labels, m] : f.children()) {
    out += f.name() + render_labels(labels, nullptr) + " " + format_value(m->value()) + "\n";
  }
}

}  // namespace

void Counter::inc(double by) {
  if (by < 0) throw std::invalid_argument("a counter only goes up");
  atomic_add(value_, by);
}

void Gauge::add(double by) { atomic_add(value_, by); }

Histogram::Histogram(std::vector<double> upper_bounds) : bounds_(std::move(upper_bounds)) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end())) {
    throw std::invalid_argument("histogram bounds must be sorted");
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  std::lock_guard lock(mutex_);
  ++counts_[i];
  sum_ += v;
}

Histogram::Snapshot Histogram::snapshot() const {
  std::lock_guard lock(mutex_);
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (uint64_t c : counts_) {
    running += c;
    s.cumulative.push_back(running);
  }
  s.sum = sum_;
  s.count = running;
  return s;
}

template <class M>
M& Family<M>::with(const Labels& labels) {
  Labels full = const_labels_;
  full.insert(full.end(), labels.begin(), labels.end());
  std::lock_guard lock(mutex_);
  auto it = by_labels_.find(full);
  if (it != by_labels_.end()) return *it->second;
  std::shared_ptr<M> m;
  if constexpr (std::is_same_v<M, Histogram>) {
    m = std::make_shared<Histogram>(buckets_);
  } else {
    m = std::make_shared<M>();
  }
  M& ref = *m;
  ordered_.emplace_back(full, m);
  by_labels_.emplace(std::move(full), std::move(m));
  return ref;
}

template <class M>
void Family<M>::remove(const Labels& labels) {
  Labels full = const_labels_;
  full.insert(full.end(), labels.begin(), labels.end());
  std::lock_guard lock(mutex_);
  if (by_labels_.erase(full) == 0) return;
  std::erase_if(ordered_, [&full](const auto& child) { return child.first == full; });
}

template <class M>
std::vector<std::pair<Labels, std::shared_ptr<const M>>> Family<M>::children() const {
  std::lock_guard lock(mutex_);
  return ordered_;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>& Registry::counter(const std::string& name, const std::string& help) {
  counters_.push_back(std::make_unique<Family<Counter>>(name, help, const_labels_));
  order_.emplace_back(MetricType::Counter, counters_.size() - 1);
  return *counters_.back();
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help) {
  gauges_.push_back(std::make_unique<Family<Gauge>>(name, help, const_labels_));
  order_.emplace_back(MetricType::Gauge, gauges_.size() - 1);
  return *gauges_.back();
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> buckets) {
  histograms_.push_back(
      std::make_unique<Family<Histogram>>(name, help, const_labels_, std::move(buckets)));
  order_.emplace_back(MetricType::Histogram, histograms_.size() - 1);
  return *histograms_.back();
}

std::string Registry::render() const {
  std::string out;
  for (const auto& [type, index] : order_) {
    switch (type) {
      case MetricType::Counter:
        render_scalars(out, *counters_[index], "counter");
        break;
      case MetricType::Gauge:
        render_scalars(out, *gauges_[index], "gauge");
        break;
      case MetricType::Histogram: {
        const auto& f = *histograms_[index];
        render_header(out, f, "histogram");
        for (const auto& [labels, h] : f.children()) {
          const Histogram::Snapshot s = h->snapshot();
          for (size_t i = 0; i <= s.upper_bounds.size(); ++i) {
            const std::pair<std::string, std::string> le{
                "le", i < s.upper_bounds.size() ? format_value(s.upper_bounds[i]) : "+Inf"};
            out += f.name() + "_bucket" + render_labels(labels, &le) + " " +
                   format_value(static_cast<double>(s.cumulative[i])) + "\n";
          }
          out +=
              f.name() + "_sum" + render_labels(labels, nullptr) + " " + format_value(s.sum) + "\n";
          out += f.name() + "_count" + render_labels(labels, nullptr) + " " +
                 format_value(static_cast<double>(s.count)) + "\n";
        }
        break;
      }
    }
  }
  return out;
}

std::string escape_label_value(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // Shortest text that reads back as the same double: 0.1 stays "0.1", 3.0 becomes "3".
  char buf[64];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  return std::string(buf, end);
}

}  // namespace prom
