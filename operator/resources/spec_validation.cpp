#include "resources/spec_validation.h"

#include <cctype>
#include <string_view>

#include "resources/engine_command.h"
#include "resources/json_fields.h"
#include "resources/model_source.h"
#include "resources/quantity.h"
#include "resources/service.h"

namespace resources {
namespace {

using nlohmann::json;

bool lower_alnum(char c) {
  return std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
}

bool alnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// RFC 1035 label: what a Service name must be.
bool is_dns1035_label(std::string_view s) {
  if (s.empty() || s.size() > 63 || !std::islower(static_cast<unsigned char>(s.front())) ||
      !lower_alnum(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!lower_alnum(c) && c != '-') return false;
  }
  return true;
}

bool is_dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253 || !lower_alnum(s.front()) || !lower_alnum(s.back()))
    return false;
  for (char c : s) {
    if (!lower_alnum(c) && c != '-' && c != '.') return false;
  }
  return true;
}

// A label value, or the name part of a label key when `allow_empty` is false.
bool is_label_name(std::string_view s, bool allow_empty) {
  if (s.empty()) return allow_empty;
  if (s.size() > 63 || !alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s) {
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool is_label_key(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return is_label_name(key, false);
  return is_dns_subdomain(key.substr(0, slash)) && is_label_name(key.substr(slash + 1), false);
}

// What spec.model.servedName's pattern allows; the default taken from the file name must fit too.
bool is_served_name(std::string_view s) {
  if (s.empty() || s.size() > 256 || !alnum(s.front())) return false;
  for (char c : s) {
    if (!alnum(c) && std::string_view("._:/-").find(c) == std::string_view::npos) return false;
  }
  return true;
}

class Checker {
 public:
  explicit Checker(const json& isvc) : isvc_(isvc) {}

  std::vector<SpecProblem> run() {
    guarded([this] { check_name(); });
    guarded([this] { source_ = check_model_uri(); });
    guarded([this] { check_model_options(); });
    guarded([this] { check_cache(); });
    guarded([this] { check_scaling(); });
    guarded([this] { check_engine(); });
    guarded([this] { check_resources(); });
    guarded([this] { check_pod_labels(); });
    check_types();
    return std::move(problems_);
  }

 private:
  void add(std::string field, std::string message) {
    problems_.push_back({std::move(field), std::move(message)});
  }

  // Runs one check; a field of the wrong type becomes a problem instead of an exception.
  template <typename F>
  bool guarded(F&& check) {
    try {
      check();
      return true;
    } catch (const SpecError& e) {
      const std::string what = e.what();
      add(e.field(), what.substr(std::min(what.size(), e.field().size() + 2)));
    } catch (const ModelUriError& e) {
      add("spec.model.uri", e.what());
    }
    return false;
  }

  void check_name() {
    const std::string name = object_name(isvc_);
    if (!is_dns1035_label(name)) {
      add("metadata.name",
          "'" + name +
              "' names the Service and must be a DNS-1035 label: at most 63 lower case letters, "
              "digits and '-', starting with a letter and ending with a letter or digit");
    }
  }

  std::optional<ModelSource> check_model_uri() {
    if (!object_field(isvc_, "spec")) {
      add("spec", "is required");
      return std::nullopt;
    }
    const std::optional<std::string> uri = string_field(isvc_, "spec.model.uri");
    if (!uri) {
      add("spec.model.uri", "is required");
      return std::nullopt;
    }
    ModelSource source = parse_model_uri(*uri);
    if (!string_field(isvc_, "spec.model.servedName")) {
      const std::string name = served_model_name(isvc_, source);
      if (!is_served_name(name)) {
        add("spec.model.servedName",
            "is required: the name derived from the file name, '" + name +
                "', is not a valid model name (a letter or digit, then letters, digits and "
                "._:/-, at most 256)");
      }
    }
    return source;
  }

  void check_model_options() {
    if (!source_) return;
    const std::string scheme(scheme_name(source_->kind));
    if (const json* ref = object_field(isvc_, "spec.model.tokenSecretRef")) {
      if (!source_->downloads()) {
        add("spec.model.tokenSecretRef",
            "is only used to download from hf:// or https:// URIs, not " + scheme + "://");
      }
      const std::optional<std::string> name = string_field(*ref, "name");
      if (!name || !is_dns_subdomain(*name)) {
        add("spec.model.tokenSecretRef.name", "must name a Secret (a DNS subdomain)");
      }
      string_field(*ref, "key");  // type check
    }
    if (string_field(isvc_, "spec.model.sha256") && !source_->downloads()) {
      add("spec.model.sha256", "is only checked when downloading (hf:// or https://); " + scheme +
                                   ":// files are served as they are");
    }
  }

  void check_cache() {
    if (!source_ || !source_->downloads()) return;  // unused otherwise
    const json* cache = object_field(isvc_, "spec.model.cache");
    if (!cache) return;  // defaults to an emptyDir
    const json* pvc = object_field(*cache, "pvc");
    const json* empty_dir = object_field(*cache, "emptyDir");
    if ((pvc != nullptr) == (empty_dir != nullptr)) {
      add("spec.model.cache", "exactly one of pvc or emptyDir must be set");
    }
    if (pvc) {
      const std::optional<std::string> claim = string_field(*pvc, "claimName");
      if (!claim || !is_dns_subdomain(*claim)) {
        add("spec.model.cache.pvc.claimName",
            "must name a PersistentVolumeClaim (a DNS subdomain)");
      }
      if (const std::optional<std::string> sub = string_field(*pvc, "subPath")) {
        bool dotdot = false;
        for (size_t start = 0; start <= sub->size();) {
          const size_t slash = std::min(sub->find('/', start), sub->size());
          dotdot = dotdot || sub->compare(start, slash - start, "..") == 0;
          start = slash + 1;
        }
        if ((!sub->empty() && sub->front() == '/') || dotdot) {
          add("spec.model.cache.pvc.subPath",
              "must be a relative path without '..' (a directory inside the volume)");
        }
      }
    }
    if (empty_dir) {
      if (const json* limit = find_field(*empty_dir, "sizeLimit")) {
        const std::optional<double> bytes = quantity_value(*limit);
        if (!bytes || *bytes <= 0) {
          add("spec.model.cache.emptyDir.sizeLimit", "must be a positive size such as 10Gi");
        }
      }
    }
  }

  void check_scaling() {
    const std::string mode = string_field(isvc_, "spec.scaling.mode").value_or("none");
    // The CRD's defaults, which the API server fills in before its own CEL rules run.
    const int64_t min = integer_field(isvc_, "spec.scaling.minReplicas").value_or(1);
    const int64_t max = integer_field(isvc_, "spec.scaling.maxReplicas").value_or(4);
    if (min > max) {
      add("spec.scaling.minReplicas", "must be less than or equal to maxReplicas (" +
                                          std::to_string(max) + "), got " + std::to_string(min));
    }
    if (mode == "queueDepth" && min < 1) {
      add("spec.scaling.minReplicas",
          "queueDepth scaling needs minReplicas >= 1: with no replica there is no queue to measure "
          "(use mode external with KEDA to scale to zero)");
    }
    if (object_field(isvc_, "spec.scaling.prometheus") && mode != "queueDepth") {
      add("spec.scaling.prometheus", "is only used with mode queueDepth");
    }
  }

  void check_engine() {
    if (const json* kv = find_field(isvc_, "spec.engine.kvCacheMemory")) {
      const std::optional<int64_t> bytes = quantity_bytes(*kv);
      if (!bytes || *bytes <= 0) {
        add("spec.engine.kvCacheMemory", "must be a positive size such as 2Gi");
      }
    }
    const json* extra = array_field(isvc_, "spec.engine.extraArgs");
    if (!extra) return;
    for (size_t i = 0; i < extra->size(); ++i) {
      const std::string field = "spec.engine.extraArgs[" + std::to_string(i) + "]";
      if (!(*extra)[i].is_string()) {
        add(field, "must be a string");
        continue;
      }
      const std::string_view flag = flag_name((*extra)[i].get_ref<const std::string&>());
      for (const OperatorFlag& f : operator_flags()) {
        if (flag != f.flag) continue;
        std::string message = "may not set " + std::string(f.flag) + ": the operator sets it";
        if (!f.spec_field.empty()) message += " from " + std::string(f.spec_field);
        add(field, message);
      }
    }
  }

  void check_resources() {
    const json* res = object_field(isvc_, "spec.engine.resources");
    if (!res) return;
    const json* requests = object_field(*res, "requests");
    const json* limits = object_field(*res, "limits");
    for (const auto& [list, key] : {std::pair{requests, "requests"}, std::pair{limits, "limits"}}) {
      if (!list) continue;
      for (const auto& [name, value] : list->items()) {
        const std::optional<double> q = quantity_value(value);
        if (!q || *q < 0) {
          add("spec.engine.resources." + std::string(key) + "." + name,
              "must be a non-negative quantity such as 8, 500m or 8Gi");
        }
      }
    }
    if (!requests || !limits) return;
    for (const auto& [name, value] : requests->items()) {
      if (!limits->contains(name)) continue;
      const std::optional<double> req = quantity_value(value);
      const std::optional<double> lim = quantity_value((*limits)[name]);
      if (req && lim && *req > *lim) {
        add("spec.engine.resources.requests." + name,
            "must be less than or equal to the limit (" + (*limits)[name].dump() + ")");
      }
    }
  }

  void check_pod_labels() {
    const json* labels = object_field(isvc_, "spec.podLabels");
    if (!labels) return;
    for (const auto& [key, value] : labels->items()) {
      const std::string field = "spec.podLabels[" + key + "]";
      if (!is_label_key(key)) {
        add(field,
            "is not a valid label key: [DNS-subdomain prefix/]name, the name at most 63 "
            "letters, digits, '-', '_' or '.', beginning and ending with a letter or digit");
      }
      if (!value.is_string() || !is_label_name(value.get_ref<const std::string&>(), true)) {
        add(field,
            "must be a label value: at most 63 letters, digits, '-', '_' or '.', "
            "beginning and ending with a letter or digit");
      }
    }
  }

  // The type of every other field the builders read, so that a resource without problems
  // always builds.
  void check_types() {
    for (const char* path :
         {"spec.engine.image", "spec.engine.accelerator", "spec.engine.gpuResourceName",
          "spec.service.type", "spec.priorityClassName", "spec.serviceAccountName"}) {
      guarded([&] { string_field(isvc_, path); });
    }
    for (const char* path : {"spec.engine.threads", "spec.engine.maxNumSeqs",
                             "spec.engine.maxBatchTokens", "spec.replicas"}) {
      guarded([&] { integer_field(isvc_, path); });
    }
    for (const char* path : {"spec.nodeSelector", "spec.affinity", "spec.podAnnotations",
                             "spec.engine.resources.requests", "spec.engine.resources.limits"}) {
      guarded([&] { object_field(isvc_, path); });
    }
    for (const char* path : {"spec.tolerations", "spec.imagePullSecrets"}) {
      guarded([&] { array_field(isvc_, path); });
    }
    guarded([&] { service_port(isvc_); });
  }

  const json& isvc_;
  std::optional<ModelSource> source_;
  std::vector<SpecProblem> problems_;
};

}  // namespace

std::vector<SpecProblem> validate_spec(const json& isvc) { return Checker(isvc).run(); }

std::string describe_problems(const std::vector<SpecProblem>& problems) {
  std::string out;
  for (const SpecProblem& p : problems) {
    if (!out.empty()) out += "; ";
    out += p.field + ": " + p.message;
  }
  return out;
}

}  // namespace resources
