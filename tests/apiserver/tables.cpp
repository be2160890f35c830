#include "tables.h"

#include <chrono>
#include <ctime>

#include "json_path.h"
#include "selectors.h"

namespace fakeapi {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

const char* kNameDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

PrinterColumn col(const char* name, const char* type, int priority = 0,
                  const char* description = "") {
  return PrinterColumn{name, type, "", description, "", priority};
}

std::string str(const json& obj, const json::json_pointer& p, const std::string& dflt = "") {
  if (!obj.contains(p)) return dflt;
  const json& v = obj[p];
  return v.is_string() ? v.get<std::string>() : v.is_null() ? dflt : v.dump();
}

int64_t num(const json& obj, const json::json_pointer& p) {
  return obj.contains(p) && obj[p].is_number_integer() ? obj[p].get<int64_t>() : 0;
}

std::string joined(const json& list, const char* field) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& item : list) {
    if (item.is_object() && item.contains(field) && item[field].is_string()) {
      out += (out.empty() ? "" : ",") + item[field].get<std::string>();
    }
  }
  return out;
}

std::string map_selector(const json& m) {
  std::string out;
  if (!m.is_object()) return "<none>";
  for (const auto& [k, v] : m.items()) {
    out += (out.empty() ? "" : ",") + k + "=" + (v.is_string() ? v.get<std::string>() : v.dump());
  }
  return out.empty() ? "<none>" : out;
}

std::string service_ports(const json& obj) {
  std::string out;
  const json ports =
      obj.contains("/spec/ports"_json_pointer) ? obj["/spec/ports"_json_pointer] : json::array();
  for (const auto& p : ports) {
    std::string one = std::to_string(p.value("port", 0));
    if (p.contains("nodePort")) one += ":" + std::to_string(p.value("nodePort", 0));
    one += "/" + p.value("protocol", std::string("TCP"));
    out += (out.empty() ? "" : ",") + one;
  }
  return out.empty() ? "<none>" : out;
}

std::vector<json> builtin_cells(const ResourceType& t, const json& o) {
  const std::string name = o["metadata"].value("name", "");
  const std::string age = age_since(o["metadata"].value("creationTimestamp", ""));
  if (t.kind == "Namespace") return {name, str(o, "/status/phase"_json_pointer), age};
  if (t.kind == "Service") {
    const std::string type = str(o, "/spec/type"_json_pointer, "ClusterIP");
    std::string external = "<none>";
    if (o.contains("/spec/externalIPs"_json_pointer)) {
      external = "";
      for (const auto& ip : o["/spec/externalIPs"_json_pointer]) {
        external += (external.empty() ? "" : ",") + ip.get<std::string>();
      }
    } else if (type == "LoadBalancer") {
      external = "<pending>";
    }
    return {
        name,
        type,
        str(o, "/spec/clusterIP"_json_pointer, "<none>"),
        external,
        service_ports(o),
        age,
        map_selector(o.contains("/spec/selector"_json_pointer) ? o["/spec/selector"_json_pointer]
                                                               : json())};
  }
  if (t.kind == "Pod") {
    const json containers = o.contains("/spec/containers"_json_pointer)
                                ? o["/spec/containers"_json_pointer]
                                : json::array();
    int64_t ready = 0;
    int64_t restarts = 0;
    if (o.contains("/status/containerStatuses"_json_pointer)) {
      for (const auto& s : o["/status/containerStatuses"_json_pointer]) {
        if (s.value("ready", false)) ++ready;
        restarts += s.value("restartCount", 0);
      }
    }
    return {name,
            std::to_string(ready) + "/" + std::to_string(containers.size()),
            str(o, "/status/phase"_json_pointer, "Pending"),
            std::to_string(restarts),
            age,
            str(o, "/status/podIP"_json_pointer, "<none>"),
            str(o, "/spec/nodeName"_json_pointer, "<none>"),
            "<none>",
            "<none>"};
  }
  if (t.kind == "Deployment" || t.kind == "ReplicaSet") {
    const json containers = o.contains("/spec/template/spec/containers"_json_pointer)
                                ? o["/spec/template/spec/containers"_json_pointer]
                                : json::array();
    const json selector =
        o.contains("/spec/selector"_json_pointer) ? o["/spec/selector"_json_pointer] : json();
    const int64_t desired = num(o, "/spec/replicas"_json_pointer);
    const int64_t ready = num(o, "/status/readyReplicas"_json_pointer);
    const std::string sel = LabelSelector::from_json(selector).to_string();
    if (t.kind == "Deployment") {
      return {name,
              std::to_string(ready) + "/" + std::to_string(desired),
              num(o, "/status/updatedReplicas"_json_pointer),
              num(o, "/status/availableReplicas"_json_pointer),
              age,
              joined(containers, "name"),
              joined(containers, "image"),
              sel};
    }
    return {name,
            desired,
            num(o, "/status/replicas"_json_pointer),
            ready,
            age,
            joined(containers, "name"),
            joined(containers, "image"),
            sel};
  }
  if (t.kind == "ConfigMap") {
    size_t n =
        o.value("data", json::object()).size() + o.value("binaryData", json::object()).size();
    return {name, n, age};
  }
  if (t.kind == "Secret") {
    return {name, o.value("type", std::string("Opaque")), o.value("data", json::object()).size(),
            age};
  }
  if (t.kind == "CustomResourceDefinition") {
    return {name, o["metadata"].value("creationTimestamp", "")};
  }
  if (t.kind == "Lease") return {name, str(o, "/spec/holderIdentity"_json_pointer), age};
  return {name, age};
}

json cr_cell(const PrinterColumn& c, const json& obj) {
  const auto values = json_path_select(obj, c.json_path);
  if (values.empty() || values[0].is_null()) return json();
  const json& v = values[0];
  if (c.type == "string") return v.is_string() ? v : json(v.dump());
  if (c.type == "integer") return v.is_number() ? json(v.get<int64_t>()) : json();
  if (c.type == "number") return v.is_number() ? v : json();
  if (c.type == "boolean") return v.is_boolean() ? v : json();
  if (c.type == "date") return v.is_string() ? json(age_since(v.get<std::string>())) : json();
  return v;
}

}  // namespace

std::vector<PrinterColumn> table_columns(const ResourceType& t) {
  std::vector<PrinterColumn> cols{{"Name", "string", "name", kNameDescription, "", 0}};
  if (t.is_custom()) {
    for (const auto& c : t.columns) {
      PrinterColumn pc = c;
      if (pc.description.empty()) {
        pc.description = "Custom resource definition column (in JSONPath format): " + c.json_path;
      }
      cols.push_back(pc);
    }
    return cols;
  }
  const std::string& k = t.kind;
  if (k == "Namespace") {
    cols.insert(cols.end(), {col("Status", "string"), col("Age", "string")});
  } else if (k == "Service") {
    cols.insert(cols.end(),
                {col("Type", "string"), col("Cluster-IP", "string"), col("External-IP", "string"),
                 col("Port(s)", "string"), col("Age", "string"), col("Selector", "string", 1)});
  } else if (k == "Pod") {
    cols.insert(cols.end(),
                {col("Ready", "string"), col("Status", "string"), col("Restarts", "string"),
                 col("Age", "string"), col("IP", "string", 1), col("Node", "string", 1),
                 col("Nominated Node", "string", 1), col("Readiness Gates", "string", 1)});
  } else if (k == "Deployment") {
    cols.insert(cols.end(),
                {col("Ready", "string"), col("Up-to-date", "integer"), col("Available", "integer"),
                 col("Age", "string"), col("Containers", "string", 1), col("Images", "string", 1),
                 col("Selector", "string", 1)});
  } else if (k == "ReplicaSet") {
    cols.insert(cols.end(),
                {col("Desired", "integer"), col("Current", "integer"), col("Ready", "integer"),
                 col("Age", "string"), col("Containers", "string", 1), col("Images", "string", 1),
                 col("Selector", "string", 1)});
  } else if (k == "ConfigMap") {
    cols.insert(cols.end(), {col("Data", "integer"), col("Age", "string")});
  } else if (k == "Secret") {
    cols.insert(cols.end(), {col("Type", "string"), col("Data", "integer"), col("Age", "string")});
  } else if (k == "CustomResourceDefinition") {
    cols.push_back(col("Created At", "date"));
  } else if (k == "Lease") {
    cols.insert(cols.end(), {col("Holder", "string"), col("Age", "string")});
  } else {
    cols.push_back(col("Age", "string"));
  }
  return cols;
}

ordered_json to_table(const ResourceType& type, const std::vector<json>& objects,
                      const std::string& include_object, const json& list_metadata,
                      bool with_columns) {
  const auto cols = table_columns(type);
  ordered_json table;
  table["kind"] = "Table";
  table["apiVersion"] = "meta.k8s.io/v1";
  table["metadata"] = ordered_json::object();
  for (const char* key : {"resourceVersion", "continue", "remainingItemCount"}) {
    if (list_metadata.is_object() && list_metadata.contains(key)) {
      table["metadata"][key] = list_metadata[key];
    }
  }
  ordered_json defs = ordered_json::array();
  if (with_columns) {
    for (const auto& c : cols) {
      defs.push_back({{"name", c.name},
                      {"type", c.type},
                      {"format", c.format},
                      {"description", c.description},
                      {"priority", c.priority}});
    }
  }
  table["columnDefinitions"] = std::move(defs);
  ordered_json rows = ordered_json::array();
  for (const auto& obj : objects) {
    ordered_json row;
    json cells;
    if (type.is_custom()) {
      cells = json::array({obj["metadata"].value("name", "")});
      for (size_t i = 1; i < cols.size(); ++i) cells.push_back(cr_cell(cols[i], obj));
    } else {
      cells = builtin_cells(type, obj);
    }
    row["cells"] = cells;
    if (include_object == "Object") {
      row["object"] = obj;
    } else if (include_object != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", obj["metadata"]}};
    }
    rows.push_back(std::move(row));
  }
  table["rows"] = std::move(rows);
  return table;
}

std::string age_since(const std::string& timestamp) {
  std::tm tm{};
  if (strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm) == nullptr) return "<unknown>";
  const std::time_t then = timegm(&tm);
  const std::time_t now = std::time(nullptr);
  const long s = static_cast<long>(now - then);
  if (s < 0) return "0s";
  if (s < 120) return std::to_string(s) + "s";
  const long m = s / 60;
  if (m < 10) return std::to_string(m) + "m" + (s % 60 ? std::to_string(s % 60) + "s" : "");
  if (m < 180) return std::to_string(m) + "m";
  const long h = m / 60;
  if (h < 8) return std::to_string(h) + "h" + (m % 60 ? std::to_string(m % 60) + "m" : "");
  if (h < 48) return std::to_string(h) + "h";
  const long d = h / 24;
  if (h < 192) return std::to_string(d) + "d" + (h % 24 ? std::to_string(h % 24) + "h" : "");
  if (d < 365 * 2) return std::to_string(d) + "d";
  return std::to_string(d / 365) + "y";
}

}  // namespace fakeapi
