#include "cli/args.h"

#include <charconv>
#include <iterator>

namespace cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& options,
           const std::set<std::string>& flags) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> inline_value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.count(name)) {
      if (inline_value) throw UsageError("--" + name + " takes no value");
      values_.emplace(name, "");
    } else if (options.count(name)) {
      if (!inline_value && i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
      values_.emplace(name, inline_value ? *inline_value : argv[++i]);
    } else {
      throw UsageError("unknown option --" + name);
    }
  }
}

const std::string* Args::last(const std::string& name) const {
  const auto [begin, end] = values_.equal_range(name);
  return begin == end ? nullptr : &std::prev(end)->second;
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
  const std::string* value = last(name);
  return value ? *value : fallback;
}

std::string Args::required(const std::string& name) const {
  const std::string* value = last(name);
  if (!value) throw UsageError("--" + name + " is required");
  return *value;
}

long long Args::integer(const std::string& name, long long fallback, long long lo,
                        long long hi) const {
  const std::string* value = last(name);
  if (!value) return fallback;
  long long v = 0;
  const std::string& s = *value;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    throw UsageError("--" + name + " must be an integer, got '" + s + "'");
  }
  if (v < lo || v > hi) {
    throw UsageError("--" + name + " must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", got " + s);
  }
  return v;
}

double Args::number(const std::string& name, double fallback, double lo, double hi) const {
  const std::string* value = last(name);
  if (!value) return fallback;
  const std::string& s = *value;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    throw UsageError("--" + name + " must be a number, got '" + s + "'");
  }
  if (!(v >= lo && v <= hi)) {
    throw UsageError("--" + name + " must be between " + std::to_string(lo) + " and " +
                     std::to_string(hi) + ", got " + s);
  }
  return v;
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  for (auto [it, end] = values_.equal_range(name); it != end; ++it) out.push_back(it->second);
  return out;
}

}  // namespace cli
