// delete and deletecollection: preconditions, propagation policies and finalizers. What
// deletion sets in motion (dependents, finalizers, namespace and CRD contents) is
// garbage_collector.cpp's.
#include "api_errors.h"
#include "go_format.h"
#include "object_util.h"
#include "protobuf_body.h"
#include "resource_verbs.h"
#include "selectors.h"

namespace fakeapi {
namespace {

using nlohmann::json;

struct DeleteOptions {
  std::string propagation;
  json preconditions;
  bool dry_run = false;
};

DeleteOptions delete_options(VerbContext& c) {
  DeleteOptions o;
  json body;
  if (!c.req.body.empty() && is_protobuf(c.req.header("content-type"))) {
    body = decode_protobuf(c.req.body);
  } else if (!c.req.body.empty()) {
    body = json::parse(c.req.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      throw bad_request("the body of the request was in an unknown format");
    }
  }
  o.propagation = body.is_object() ? body.value("propagationPolicy", "") : "";
  if (c.target.has("propagationPolicy")) o.propagation = c.target.param("propagationPolicy");
  if (o.propagation.empty()) o.propagation = "Background";
  if (o.propagation != "Background" && o.propagation != "Foreground" && o.propagation != "Orphan") {
    throw ApiError(422,
                   failure_status(422, "Invalid",
                                  "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
                                  "Unsupported value: " +
                                      gofmt::quote(o.propagation) +
                                      ": supported values: \"Foreground\", \"Background\", "
                                      "\"Orphan\", \"nil\""));
  }
  o.preconditions = body.is_object() ? body.value("preconditions", json()) : json();
  o.dry_run = c.target.param("dryRun") == "All" ||
              (body.is_object() && body.contains("dryRun") && !body["dryRun"].empty());
  return o;
}

void check_preconditions(const ResourceType& t, const json& obj, const json& pre) {
  if (!pre.is_object()) return;
  const std::string name = meta_string(obj, "name");
  const std::string prefix =
      "Operation cannot be fulfilled on " + t.qualified_kind() + " " + gofmt::quote(name) + ": ";
  if (pre.contains("uid") && pre["uid"].is_string() && pre["uid"] != meta_string(obj, "uid")) {
    throw ApiError(409, failure_status(409, "Conflict",
                                       prefix + "Precondition failed: UID in precondition: " +
                                           pre["uid"].get<std::string>() +
                                           ", UID in object meta: " + meta_string(obj, "uid"),
                                       details_of(name, t.group, t.kind)));
  }
  if (pre.contains("resourceVersion") && pre["resourceVersion"].is_string() &&
      pre["resourceVersion"] != meta_string(obj, "resourceVersion")) {
    throw ApiError(409, failure_status(409, "Conflict",
                                       prefix + "the ResourceVersion in the precondition (" +
                                           pre["resourceVersion"].get<std::string>() +
                                           ") does not match the ResourceVersion in record (" +
                                           meta_string(obj, "resourceVersion") +
                                           "). The object might have been modified",
                                       details_of(name, t.group, t.kind)));
  }
}

nlohmann::ordered_json success_status(const ResourceType& t, const json& obj) {
  nlohmann::ordered_json s;
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = nlohmann::ordered_json::object();
  s["status"] = "Success";
  auto details = details_of(meta_string(obj, "name"), t.group, t.plural);
  details["uid"] = meta_string(obj, "uid");
  s["details"] = details;
  return s;
}

}  // namespace

HttpResponse Verbs::remove(VerbContext& c) {
  const ResourceType& t = *c.type;
  if (!c.path.subresource.empty())
    throw method_not_allowed("delete is not supported on subresources");
  const auto obj = c.core.store().get(t.storage_key(), c.path.namespace_, c.path.name);
  if (!obj) throw not_found(t, c.path.name);
  const DeleteOptions o = delete_options(c);
  check_preconditions(t, *obj, o.preconditions);
  if (o.dry_run) return object_response(200, as_version(t, *obj), c);
  const json result = delete_object(c.core, t, *obj, o.propagation);
  collect_garbage(c.core);
  const bool remains =
      c.core.store().get(t.storage_key(), c.path.namespace_, c.path.name).has_value();
  if (remains || t.kind == "Pod") return object_response(200, as_version(t, result), c);
  return HttpResponse{200, "application/json", success_status(t, result).dump(), {}};
}

HttpResponse Verbs::remove_collection(VerbContext& c) {
  const ResourceType& t = *c.type;
  LabelSelector labels;
  FieldSelector fields;
  try {
    labels = LabelSelector::parse(c.target.param("labelSelector"));
    fields = FieldSelector::parse(c.target.param("fieldSelector"));
  } catch (const SelectorError& e) {
    throw bad_request(e.what());
  }
  const DeleteOptions o = delete_options(c);
  for (const auto& obj : c.core.store().list(t.storage_key(), c.path.namespace_)) {
    if (!labels.matches(meta_field(obj, "labels")) || !fields.matches(obj)) continue;
    if (!o.dry_run) delete_object(c.core, t, obj, o.propagation);
  }
  collect_garbage(c.core);
  nlohmann::ordered_json s;
  s["kind"] = "Status";
  s["apiVersion"] = "v1";
  s["metadata"] = nlohmann::ordered_json::object();
  s["status"] = "Success";
  return HttpResponse{200, "application/json", s.dump(), {}};
}

}  // namespace fakeapi
