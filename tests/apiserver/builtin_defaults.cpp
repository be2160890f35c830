#include "builtin_defaults.h"

namespace fakeapi {
namespace {

using nlohmann::json;

bool meta_deleting(const json& obj) {
  return obj.contains("metadata") && obj["metadata"].contains("deletionTimestamp");
}

void set_default(json& obj, const char* key, const json& value) {
  if (!obj.contains(key) || obj[key].is_null()) obj[key] = value;
}

void default_container(json& c) {
  if (!c.is_object()) return;
  set_default(c, "terminationMessagePath", "/dev/termination-log");
  set_default(c, "terminationMessagePolicy", "File");
  const std::string image = c.value("image", "");
  const size_t slash = image.rfind('/');
  const std::string last = slash == std::string::npos ? image : image.substr(slash + 1);
  const bool latest = last.find(':') == std::string::npos || last.ends_with(":latest");
  set_default(c, "imagePullPolicy", latest ? "Always" : "IfNotPresent");
  if (c.contains("ports") && c["ports"].is_array()) {
    for (auto& p : c["ports"]) {
      if (p.is_object()) set_default(p, "protocol", "TCP");
    }
  }
}

void default_pod_spec(json& spec) {
  if (!spec.is_object()) return;
  set_default(spec, "restartPolicy", "Always");
  set_default(spec, "terminationGracePeriodSeconds", 30);
  set_default(spec, "dnsPolicy", "ClusterFirst");
  set_default(spec, "schedulerName", "default-scheduler");
  set_default(spec, "securityContext", json::object());
  for (const char* list : {"containers", "initContainers"}) {
    if (spec.contains(list) && spec[list].is_array()) {
      for (auto& c : spec[list]) default_container(c);
    }
  }
}

void default_service(json& obj, const json& before, const std::function<std::string()>& ip) {
  json& spec = obj["spec"];
  if (!spec.is_object()) spec = json::object();
  set_default(spec, "type", "ClusterIP");
  const json old_spec = before.is_object() ? before.value("spec", json::object()) : json::object();
  if (spec.value("clusterIP", "") == "" && spec["type"] != "ExternalName") {
    spec["clusterIP"] =
        old_spec.value("clusterIP", "") != "" ? old_spec["clusterIP"].get<std::string>() : ip();
  }
  if (spec.contains("clusterIP") && spec["clusterIP"].is_string()) {
    set_default(spec, "clusterIPs", json::array({spec["clusterIP"]}));
    set_default(spec, "ipFamilies", json::array({"IPv4"}));
    set_default(spec, "ipFamilyPolicy", "SingleStack");
  }
  set_default(spec, "sessionAffinity", "None");
  set_default(spec, "internalTrafficPolicy", "Cluster");
  if (spec.contains("ports") && spec["ports"].is_array()) {
    for (auto& p : spec["ports"]) {
      if (!p.is_object()) continue;
      set_default(p, "protocol", "TCP");
      if (p.contains("port")) set_default(p, "targetPort", p["port"]);
    }
  }
  if (!obj.contains("status")) obj["status"] = {{"loadBalancer", json::object()}};
}

void default_workload(json& obj, bool deployment) {
  json& spec = obj["spec"];
  if (!spec.is_object()) return;
  set_default(spec, "replicas", 1);
  if (deployment) {
    set_default(spec, "revisionHistoryLimit", 10);
    set_default(spec, "progressDeadlineSeconds", 600);
    set_default(spec, "strategy",
                {{"type", "RollingUpdate"},
                 {"rollingUpdate", {{"maxSurge", "25%"}, {"maxUnavailable", "25%"}}}});
  }
  if (spec.contains("template") && spec["template"].is_object()) {
    json& tmpl = spec["template"];
    if (tmpl.contains("spec")) default_pod_spec(tmpl["spec"]);
  }
}

void require(std::vector<Cause>& out, const json& obj, const json::json_pointer& ptr,
             const std::string& field) {
  if (!obj.contains(ptr) || obj[ptr].is_null()) out.push_back(required(field));
}

}  // namespace

void apply_builtin_defaults(const ResourceType& type, json& obj, const json& before,
                            const std::function<std::string()>& allocate_ip) {
  if (type.is_custom()) return;
  if (type.kind == "Service") {
    default_service(obj, before, allocate_ip);
  } else if (type.kind == "Deployment" || type.kind == "ReplicaSet") {
    default_workload(obj, type.kind == "Deployment");
  } else if (type.kind == "Pod") {
    if (obj.contains("spec")) default_pod_spec(obj["spec"]);
    if (!obj.contains("status")) obj["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
  } else if (type.kind == "Namespace") {
    obj["spec"] = obj.value("spec", json::object());
    set_default(obj["spec"], "finalizers", json::array({"kubernetes"}));
    if (!obj.contains("status") || meta_deleting(obj)) {
      obj["status"] = {{"phase", meta_deleting(obj) ? "Terminating" : "Active"}};
    }
  } else if (type.kind == "Secret") {
    set_default(obj, "type", "Opaque");
  } else if (type.kind == "CustomResourceDefinition" && obj["spec"].is_object()) {
    set_default(obj["spec"], "conversion", {{"strategy", "None"}});
  }
  if (type.kind == "Namespace") {
    json& labels = obj["metadata"]["labels"];
    if (!labels.is_object()) labels = json::object();
    labels["kubernetes.io/metadata.name"] = obj["metadata"].value("name", "");
  }
}

std::vector<Cause> builtin_causes(const ResourceType& type, const json& obj) {
  std::vector<Cause> out;
  if (type.kind == "Deployment" || type.kind == "ReplicaSet") {
    require(out, obj, "/spec/selector"_json_pointer, "spec.selector");
    require(out, obj, "/spec/template/metadata/labels"_json_pointer,
            "spec.template.metadata.labels");
  }
  const json* containers = nullptr;
  std::string at;
  if ((type.kind == "Deployment" || type.kind == "ReplicaSet") &&
      obj.contains("/spec/template/spec/containers"_json_pointer)) {
    containers = &obj["/spec/template/spec/containers"_json_pointer];
    at = "spec.template.spec.containers";
  } else if (type.kind == "Pod" && obj.contains("/spec/containers"_json_pointer)) {
    containers = &obj["/spec/containers"_json_pointer];
    at = "spec.containers";
  } else if (type.kind == "Pod" || type.kind == "Deployment" || type.kind == "ReplicaSet") {
    out.push_back(
        required(type.kind == "Pod" ? "spec.containers" : "spec.template.spec.containers"));
  }
  if (containers != nullptr && containers->is_array()) {
    for (size_t i = 0; i < containers->size(); ++i) {
      const json& c = (*containers)[i];
      const std::string p = at + "[" + std::to_string(i) + "]";
      if (!c.is_object() || c.value("name", "").empty()) out.push_back(required(p + ".name"));
      if (!c.is_object() || c.value("image", "").empty()) out.push_back(required(p + ".image"));
    }
  }
  if (type.kind == "Service" && obj.contains("/spec/ports"_json_pointer) &&
      obj["/spec/ports"_json_pointer].is_array()) {
    const json& ports = obj["/spec/ports"_json_pointer];
    for (size_t i = 0; i < ports.size(); ++i) {
      if (!ports[i].is_object() || !ports[i].contains("port")) {
        out.push_back(required("spec.ports[" + std::to_string(i) + "].port"));
      }
    }
  }
  return out;
}

}  // namespace fakeapi
