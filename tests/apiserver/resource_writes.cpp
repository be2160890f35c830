// create, update and patch (JSON, merge, strategic merge, server-side apply), on the main
// resource and the status and scale subresources, and the write pipeline behind them.
#include <random>

#include "api_errors.h"
#include "builtin_defaults.h"
#include "go_format.h"
#include "json_patches.h"
#include "managed_fields.h"
#include "object_meta.h"
#include "object_util.h"
#include "openapi_schema.h"
#include "request_body.h"
#include "resource_verbs.h"
#include "scale_conversion.h"
#include "scale_subresource.h"
#include "status.h"
#include "strategic_merge_patch.h"

namespace fakeapi {
namespace {

using nlohmann::json;

std::string random_suffix() {
  static const char kChars[] = "bcdfghjklmnpqrstvwxz2456789";
  thread_local std::mt19937 rng{std::random_device{}()};
  std::string out;
  for (int i = 0; i < 5; ++i) out += kChars[rng() % (sizeof kChars - 1)];
  return out;
}

// The object without the fields a spec change is not made of (generation tracking).
json spec_part(json obj) {
  obj.erase("metadata");
  obj.erase("status");
  return obj;
}

// For no-op detection: managedFields without their timestamps.
json comparable(json obj) {
  if (obj.contains("metadata") && obj["metadata"].contains("managedFields")) {
    for (auto& e : obj["metadata"]["managedFields"]) e.erase("time");
  }
  return obj;
}

WriteOptions write_options(VerbContext& c, std::vector<std::string>* warnings) {
  WriteOptions o;
  o.manager = Verbs::manager_of(c.req, c.target);
  o.subresource = c.path.subresource;
  o.dry_run = c.target.param("dryRun") == "All";
  o.field_validation = c.target.has("fieldValidation") ? c.target.param("fieldValidation") : "Warn";
  o.warnings = warnings;
  return o;
}

HttpResponse with_warnings(HttpResponse r, const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) r.headers.emplace_back("Warning", "299 - " + gofmt::quote(w));
  return r;
}

// A new CRD's status as the create response shows it, before the CRD controllers accept its
// names (establish_crd then does).
void set_initial_crd_status(json& crd) {
  std::string storage;
  for (const auto& v : crd["spec"].value("versions", json::array())) {
    if (v.value("storage", false)) storage = v.value("name", "");
  }
  crd["status"] = {{"conditions", nullptr},
                   {"acceptedNames", {{"plural", ""}, {"kind", ""}}},
                   {"storedVersions", json::array({storage})}};
}

void establish_crd(json& crd) {
  const json& spec = crd["spec"];
  std::string storage;
  for (const auto& v : spec.value("versions", json::array())) {
    if (v.value("storage", false)) storage = v.value("name", "");
  }
  const std::string now = now_rfc3339();
  auto condition = [&](const char* type, const char* reason, const char* message) {
    return json{{"type", type},
                {"status", "True"},
                {"lastTransitionTime", now},
                {"reason", reason},
                {"message", message}};
  };
  crd["status"] = {
      {"acceptedNames", spec.value("names", json::object())},
      {"conditions", json::array({condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                                  condition("Established", "InitialNamesAccepted",
                                            "the initial names have been accepted")})},
      {"storedVersions", json::array({storage})}};
}

}  // namespace

json Verbs::commit(ApiCore& core, const ResourceType& type, const json& before, json after,
                   const WriteOptions& opts) {
  ObjectStore& store = core.store();
  const bool creating = before.is_null();
  if (!after.is_object()) throw bad_request("the object provided is not a JSON object");
  json& meta = after["metadata"];
  if (!meta.is_object()) meta = json::object();
  const std::string now = now_rfc3339();

  if (creating) {
    if (meta.value("name", "").empty() && meta.contains("generateName") &&
        meta["generateName"].is_string()) {
      meta["name"] = meta["generateName"].get<std::string>() + random_suffix();
    }
    if (auto causes = object_name_causes(meta); !causes.empty()) {
      throw invalid(type, meta.value("name", ""), causes);
    }
    const std::string ns = meta.value("namespace", "");
    if (type.namespaced && !store.get("/namespaces", "", ns)) throw namespace_not_found(ns);
    if (!type.namespaced) meta.erase("namespace");
    if (store.get(type.storage_key(), ns, meta["name"].get<std::string>())) {
      throw already_exists(type, meta["name"].get<std::string>());
    }
    meta["uid"] = new_uid();
    meta["creationTimestamp"] = now;
    for (const char* f :
         {"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"}) {
      meta.erase(f);
    }
    if (!opts.managed_fields_done) meta.erase("managedFields");
    if (type.tracks_generation) meta["generation"] = 1;
    if (type.has_status && (type.is_custom() || type.tracks_generation) &&
        !opts.managed_fields_done) {
      after.erase("status");
    }
  } else {
    const std::string rv = meta.value("resourceVersion", "");
    if (!rv.empty() && rv != meta_string(before, "resourceVersion")) {
      throw stale_conflict(type, meta_string(before, "name"));
    }
    const json& old_meta = before["metadata"];
    for (const char* f : {"uid", "creationTimestamp", "name", "namespace", "generation",
                          "deletionTimestamp", "deletionGracePeriodSeconds"}) {
      if (old_meta.contains(f)) {
        meta[f] = old_meta[f];
      } else {
        meta.erase(f);
      }
    }
    if (!meta.contains("managedFields") && old_meta.contains("managedFields")) {
      meta["managedFields"] = old_meta["managedFields"];
    }
    if (opts.subresource == "status") {
      json result = before;
      result["metadata"]["managedFields"] = meta.value("managedFields", json::array());
      if (after.contains("status")) {
        result["status"] = after["status"];
      } else {
        result.erase("status");
      }
      after = std::move(result);
    } else if (type.has_status && opts.subresource.empty()) {
      if (before.contains("status")) {
        after["status"] = before["status"];
      } else {
        after.erase("status");
      }
    }
    // Removing a finalizer is the only change an object being deleted may get beyond that.
    if (old_meta.contains("deletionTimestamp") && meta.contains("finalizers")) {
      const json& old_fin = old_meta.value("finalizers", json::array());
      for (const auto& f : meta["finalizers"]) {
        if (std::find(old_fin.begin(), old_fin.end(), f) == old_fin.end()) {
          throw invalid(type, meta_string(before, "name"),
                        {forbidden("metadata.finalizers",
                                   "no new finalizers can be added if the object is being deleted, "
                                   "found new finalizers []string{" +
                                       gofmt::quote(f.get<std::string>()) + "}")});
        }
      }
    }
  }
  const std::string name = after["metadata"].value("name", "");

  std::vector<Cause> causes;
  if (type.is_custom()) {
    const auto unknown = prune(type.schema, after);
    if (!unknown.empty() && opts.field_validation == "Strict") {
      std::string msg;
      for (const auto& u : unknown) {
        msg += (msg.empty() ? "" : ", ") + std::string("unknown field ") + gofmt::quote(u);
      }
      throw bad_request(type.kind + " in version " + gofmt::quote(type.version) +
                        " cannot be handled as a " + type.kind + ": strict decoding error: " + msg);
    }
    if (opts.field_validation == "Warn" && opts.warnings != nullptr) {
      for (const auto& u : unknown) opts.warnings->push_back("unknown field " + gofmt::quote(u));
    }
    apply_defaults(type.schema, after);
    causes = validate(type.schema, after);
    if (type.has_scale) {
      auto more = opts.subresource == "status" ? scale_status_causes(type.scale_paths, after)
                                               : scale_spec_causes(type.scale_paths, after);
      causes.insert(causes.end(), more.begin(), more.end());
    }
  } else {
    apply_builtin_defaults(type, after, before, [&core] {
      const uint64_t n = core.cluster_ip_counter_++;
      return "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
    });
    causes = builtin_causes(type, after);
    if (type.kind == "CustomResourceDefinition") {
      auto more = ResourceRegistry::crd_causes(after);
      causes.insert(causes.end(), more.begin(), more.end());
    }
  }
  if (!causes.empty()) throw invalid(type, name, causes);

  const bool crd = type.kind == "CustomResourceDefinition" && !type.is_custom();
  if (crd && creating) set_initial_crd_status(after);
  if (!creating && type.tracks_generation && spec_part(before) != spec_part(after)) {
    after["metadata"]["generation"] = before["metadata"].value("generation", 0) + 1;
  }
  if (!opts.managed_fields_done) {
    record_update(type, before, after, opts.manager, opts.subresource, now);
  }
  if (!creating && comparable(before) == comparable(after)) return before;
  if (opts.dry_run) return after;

  const uint64_t rv = store.next_revision();
  after["metadata"]["resourceVersion"] = std::to_string(rv);
  store.write(type.storage_key(), creating ? "ADDED" : "MODIFIED", after, rv);
  if (crd) {
    core.registry_.install_crd(after);
    // The CRD controllers' part: names accepted, the CRD established.
    json established = after;
    establish_crd(established);
    if (established["status"] != after["status"]) {
      const uint64_t next = store.next_revision();
      established["metadata"]["resourceVersion"] = std::to_string(next);
      store.write(type.storage_key(), "MODIFIED", established, next);
    }
  }
  collect_garbage(core);
  return after;
}

HttpResponse Verbs::create(VerbContext& c) {
  if (!c.path.subresource.empty())
    throw method_not_allowed("create is not supported on subresources");
  json obj = decode_object(*c.type, c.req.body, c.req.header("content-type"));
  json& meta = obj["metadata"];
  if (c.type->namespaced) {
    if (meta.contains("namespace") && meta["namespace"] != "" &&
        meta["namespace"] != c.path.namespace_) {
      throw bad_request(
          "the namespace of the provided object does not match the namespace sent "
          "on the request");
    }
    meta["namespace"] = c.path.namespace_;
  }
  std::vector<std::string> warnings;
  const json stored = commit(c.core, *c.type, json(), std::move(obj), write_options(c, &warnings));
  return with_warnings(object_response(201, as_version(*c.type, stored), c), warnings);
}

HttpResponse Verbs::update(VerbContext& c) {
  const auto before = c.core.store().get(c.type->storage_key(), c.path.namespace_, c.path.name);
  std::vector<std::string> warnings;
  WriteOptions opts = write_options(c, &warnings);
  if (c.path.subresource == "scale") {
    if (!before) throw not_found(*c.type, c.path.name);
    const json scale = decode_patch(c.req.body, false);
    json after = *before;
    if (!apply_scale(*c.type, scale, after)) {
      throw invalid(*c.type, c.path.name, {required("spec.replicas")});
    }
    const std::string rv = scale.contains("/metadata/resourceVersion"_json_pointer)
                               ? scale["/metadata/resourceVersion"_json_pointer].get<std::string>()
                               : "";
    if (!rv.empty()) after["metadata"]["resourceVersion"] = rv;
    const json stored = commit(c.core, *c.type, *before, after, opts);
    return HttpResponse{200, "application/json", to_scale(*c.type, stored).dump(), {}};
  }
  json obj = decode_object(*c.type, c.req.body, c.req.header("content-type"));
  if (obj["metadata"].value("name", "") != c.path.name) {
    throw bad_request("the name of the object (" + obj["metadata"].value("name", "") +
                      ") does not match the name on the URL (" + c.path.name + ")");
  }
  if (!before) throw not_found(*c.type, c.path.name);
  if (c.type->is_custom() && obj["metadata"].value("resourceVersion", "").empty()) {
    throw invalid(*c.type, c.path.name,
                  {Cause{"FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                         "metadata.resourceVersion"}});
  }
  obj["metadata"]["namespace"] = c.path.namespace_;
  const json stored = commit(c.core, *c.type, *before, std::move(obj), opts);
  return with_warnings(object_response(200, as_version(*c.type, stored), c), warnings);
}

HttpResponse Verbs::patch(VerbContext& c) {
  const ResourceType& t = *c.type;
  const std::string ct =
      c.req.header("content-type").substr(0, c.req.header("content-type").find(';'));
  const auto before = c.core.store().get(t.storage_key(), c.path.namespace_, c.path.name);
  std::vector<std::string> warnings;
  WriteOptions opts = write_options(c, &warnings);

  if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+cbor") {
    if (!c.target.has("fieldManager") || c.target.param("fieldManager").empty()) {
      throw ApiError(422,
                     invalid_status("PatchOptions", "meta.k8s.io", "",
                                    {required("fieldManager", "is required for apply patch")}));
    }
    json config = decode_patch(c.req.body, true);
    if (!config.is_object()) throw bad_request("apply patch must be an object");
    if (config.value("apiVersion", "") != t.group_version() || config.value("kind", "") != t.kind) {
      throw bad_request("the API version in the data (" + config.value("apiVersion", "") +
                        ") does not match the expected API version (" + t.group_version() + ")");
    }
    json& meta = config["metadata"];
    if (!meta.is_object()) meta = json::object();
    if (meta.value("name", "") != c.path.name) {
      throw bad_request("the name of the object (" + meta.value("name", "") +
                        ") does not match the name on the URL (" + c.path.name + ")");
    }
    if (t.namespaced) meta["namespace"] = c.path.namespace_;
    if (!before && !c.path.subresource.empty()) throw not_found(t, c.path.name);
    const std::string rv = meta.value("resourceVersion", "");
    meta.erase("resourceVersion");
    ApplyResult r = server_side_apply(t, before ? *before : json(), config, opts.manager,
                                      c.path.subresource, c.target.flag("force"), now_rfc3339());
    if (!r.conflicts.empty()) {
      nlohmann::ordered_json details;
      nlohmann::ordered_json causes = nlohmann::ordered_json::array();
      for (const auto& cause : conflict_causes(r.conflicts)) {
        causes.push_back(
            {{"reason", cause.reason}, {"message", cause.message}, {"field", cause.field}});
      }
      details["causes"] = causes;
      throw ApiError(409, failure_status(409, "Conflict", conflict_message(r.conflicts), details));
    }
    if (!rv.empty()) r.object["metadata"]["resourceVersion"] = rv;
    opts.managed_fields_done = true;
    const json stored = commit(c.core, t, before ? *before : json(), std::move(r.object), opts);
    return with_warnings(object_response(before ? 200 : 201, as_version(t, stored), c), warnings);
  }

  if (!before) throw not_found(t, c.path.name);
  const bool json_patch = ct == "application/json-patch+json";
  const bool merge = ct == "application/merge-patch+json";
  const bool strategic = ct == "application/strategic-merge-patch+json";
  if (!json_patch && !merge && !(strategic && !t.is_custom())) throw unsupported_media_type(ct);
  const json patch = decode_patch(c.req.body, false);
  const bool scale = c.path.subresource == "scale";
  const json doc = scale ? json(to_scale(t, *before)) : as_version(t, *before);
  json patched;
  try {
    patched = json_patch ? apply_json_patch(doc, patch)
              : merge    ? apply_merge_patch(doc, patch)
                         : apply_strategic_merge_patch(t, doc, patch);
  } catch (const PatchError& e) {
    throw ApiError(422, failure_status(422, "Invalid", e.what()));
  }
  if (scale) {
    json after = *before;
    if (!apply_scale(t, patched, after)) throw invalid(t, c.path.name, {required("spec.replicas")});
    const json stored = commit(c.core, t, *before, after, opts);
    return HttpResponse{200, "application/json", to_scale(t, stored).dump(), {}};
  }
  const json stored = commit(c.core, t, *before, std::move(patched), opts);
  return with_warnings(object_response(200, as_version(t, stored), c), warnings);
}

}  // namespace fakeapi
