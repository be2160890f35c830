// A small "--name value" / "--flag" command-line parser with clear errors.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Args {
 public:
  // `options` take a value, `flags` do not; anything else is a UsageError.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& options,
       const std::set<std::string>& flags);

  bool has(const std::string& name) const { return values_.count(name) > 0; }
  // A repeated option's last value wins, as on most command lines; all() returns every value.
  bool flag(const std::string& name) const { return has(name); }
  std::string str(const std::string& name, const std::string& fallback) const;
  std::string required(const std::string& name) const;
  long long integer(const std::string& name, long long fallback, long long lo, long long hi) const;
  double number(const std::string& name, double fallback, double lo, double hi) const;
  std::vector<std::string> all(const std::string& name) const;  // repeated options
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  const std::string* last(const std::string& name) const;  // nullptr when absent

  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace cli
