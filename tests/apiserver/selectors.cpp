#include "selectors.h"

#include <algorithm>

namespace fakeapi {
namespace {

using nlohmann::json;

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

// Splits at commas that are not inside parentheses.
std::vector<std::string> split_terms(std::string_view text) {
  std::vector<std::string> out;
  int depth = 0;
  std::string cur;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!trim(cur).empty() || !out.empty()) out.push_back(trim(cur));
  return out;
}

bool valid_label_key(std::string_view k) {
  if (k.empty() || k.size() > 316) return false;
  return std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
           c == '/';
  });
}

}  // namespace

LabelSelector LabelSelector::parse(std::string_view text) {
  LabelSelector sel;
  for (const std::string& term : split_terms(text)) {
    if (term.empty()) throw SelectorError("found '', expected: identifier");
    Requirement r;
    auto sp = term.find(' ');
    if (term[0] == '!') {
      r.key = trim(term.substr(1));
      r.op = "!";
    } else if (auto ne = term.find("!="); ne != std::string::npos) {
      r.key = trim(term.substr(0, ne));
      r.op = "!=";
      r.values = {trim(term.substr(ne + 2))};
    } else if (auto eq = term.find('='); eq != std::string::npos) {
      r.key = trim(term.substr(0, eq));
      r.op = "=";
      const size_t skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      r.values = {trim(term.substr(eq + skip))};
    } else if (sp != std::string::npos) {
      r.key = trim(term.substr(0, sp));
      std::string rest = trim(term.substr(sp));
      const size_t open = rest.find('(');
      if (open == std::string::npos || rest.back() != ')') {
        throw SelectorError("unable to parse requirement: " + term);
      }
      r.op = trim(rest.substr(0, open));
      if (r.op != "in" && r.op != "notin") {
        throw SelectorError("unable to parse requirement: found '" + r.op +
                            "', expected: in, notin, =, ==, !=, gt, lt");
      }
      for (const auto& v : split_terms(rest.substr(open + 1, rest.size() - open - 2))) {
        r.values.push_back(v);
      }
    } else {
      r.key = term;
      r.op = "exists";
    }
    if (!valid_label_key(r.key)) {
      throw SelectorError("unable to parse requirement: invalid label key \"" + r.key + "\"");
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

LabelSelector LabelSelector::from_json(const json& selector) {
  LabelSelector sel;
  if (!selector.is_object()) return sel;
  const json match_labels = selector.value("matchLabels", json::object());
  for (const auto& [k, v] : match_labels.items()) {
    sel.requirements_.push_back({k, "=", {v.is_string() ? v.get<std::string>() : v.dump()}});
  }
  for (const auto& e : selector.value("matchExpressions", json::array())) {
    Requirement r{e.value("key", ""), "", {}};
    const std::string op = e.value("operator", "");
    r.op = op == "In" ? "in" : op == "NotIn" ? "notin" : op == "Exists" ? "exists" : "!";
    for (const auto& v : e.value("values", json::array())) {
      if (v.is_string()) r.values.push_back(v.get<std::string>());
    }
    sel.requirements_.push_back(std::move(r));
  }
  return sel;
}

bool LabelSelector::matches(const json& labels) const {
  for (const auto& r : requirements_) {
    const bool has = labels.is_object() && labels.contains(r.key) && labels[r.key].is_string();
    const std::string value = has ? labels[r.key].get<std::string>() : "";
    const bool in_values =
        has && std::find(r.values.begin(), r.values.end(), value) != r.values.end();
    if (r.op == "=" || r.op == "in") {
      if (!in_values) return false;
    } else if (r.op == "!=" || r.op == "notin") {
      if (in_values) return false;
    } else if (r.op == "exists") {
      if (!has) return false;
    } else if (has) {
      return false;
    }
  }
  return true;
}

std::string LabelSelector::to_string() const {
  std::vector<std::string> parts;
  for (const auto& r : requirements_) {
    std::string values;
    for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
    if (r.op == "=" || r.op == "!=") {
      parts.push_back(r.key + r.op + values);
    } else if (r.op == "in" || r.op == "notin") {
      parts.push_back(r.key + " " + r.op + " (" + values + ")");
    } else if (r.op == "exists") {
      parts.push_back(r.key);
    } else {
      parts.push_back("!" + r.key);
    }
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

FieldSelector FieldSelector::parse(std::string_view text) {
  FieldSelector sel;
  for (const std::string& term : split_terms(text)) {
    Term t;
    size_t op = term.find("!=");
    size_t len = 2;
    if (op != std::string::npos) {
      t.equal = false;
    } else if ((op = term.find("==")) == std::string::npos) {
      op = term.find('=');
      len = 1;
    }
    if (op == std::string::npos || op == 0) {
      throw SelectorError("invalid selector: '" + std::string(text) + "'; can't understand '" +
                          term + "'");
    }
    t.path = trim(term.substr(0, op));
    t.value = trim(term.substr(op + len));
    sel.terms_.push_back(std::move(t));
  }
  return sel;
}

bool FieldSelector::matches(const json& object) const {
  for (const auto& t : terms_) {
    const json* cur = &object;
    size_t start = 0;
    while (cur != nullptr && start <= t.path.size()) {
      const size_t dot = t.path.find('.', start);
      const std::string part = t.path.substr(start, dot == std::string::npos ? dot : dot - start);
      cur = cur->is_object() && cur->contains(part) ? &(*cur)[part] : nullptr;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    std::string value;
    if (cur != nullptr && !cur->is_null()) {
      value = cur->is_string() ? cur->get<std::string>() : cur->dump();
    }
    if ((value == t.value) != t.equal) return false;
  }
  return true;
}

}  // namespace fakeapi
