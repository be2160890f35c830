// get and list (with selectors, pagination, resourceVersion semantics, Table and
// PartialObjectMetadata output); a list with ?watch turns into WatchParams.
#include <algorithm>

#include "api_errors.h"
#include "object_util.h"
#include "resource_verbs.h"
#include "scale_conversion.h"
#include "tables.h"

namespace fakeapi {
namespace {

using nlohmann::json;

constexpr const char* kContinueExpired =
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this response "
    "to retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list.";

bool wants(const HttpRequest& req, const char* as) {
  return req.header("accept").find(std::string("as=") + as) != std::string::npos;
}

std::string continue_token(int64_t rv, const std::string& start) {
  const json token = {{"v", "meta.k8s.io/v1"}, {"rv", rv}, {"start", start}};
  return base64_encode(token.dump(), true);
}

// The key an object sorts under within a list request.
std::string list_key(const ResourceType& t, const std::string& ns, const json& obj) {
  const std::string name = meta_string(obj, "name");
  if (!t.namespaced || !ns.empty()) return name;
  return meta_string(obj, "namespace") + "/" + name;
}

LabelSelector label_selector(const RequestTarget& t) {
  try {
    return LabelSelector::parse(t.param("labelSelector"));
  } catch (const SelectorError& e) {
    throw bad_request(std::string("unable to parse requirement: ") + e.what());
  }
}

FieldSelector field_selector(const RequestTarget& t) {
  try {
    return FieldSelector::parse(t.param("fieldSelector"));
  } catch (const SelectorError& e) {
    throw bad_request(e.what());
  }
}

}  // namespace

json Verbs::as_version(const ResourceType& type, json obj) {
  if (obj.is_object()) {
    obj["apiVersion"] = type.group_version();
    obj["kind"] = type.kind;
  }
  return obj;
}

std::string Verbs::manager_of(const HttpRequest& req, const RequestTarget& t) {
  if (t.has("fieldManager")) return t.param("fieldManager");
  std::string ua = req.header("user-agent");
  // The user agent's first token, without the version: "kubectl/v1.30.0 (linux/amd64) ..." →
  // "kubectl"; Go's default "Go-http-client/1.1" → "Go-http-client".
  ua = ua.substr(0, ua.find(' '));
  ua = ua.substr(0, ua.find('/'));
  return ua.empty() ? "unknown" : ua;
}

HttpResponse Verbs::object_response(int code, const json& obj, VerbContext& c) {
  if (wants(c.req, "Table")) {
    const auto table = to_table(*c.type, {obj}, c.target.param("includeObject"), json());
    return HttpResponse{code, "application/json", table.dump(), {}};
  }
  if (wants(c.req, "PartialObjectMetadata")) {
    const json partial = {{"kind", "PartialObjectMetadata"},
                          {"apiVersion", "meta.k8s.io/v1"},
                          {"metadata", obj["metadata"]}};
    return HttpResponse{code, "application/json", partial.dump(), {}};
  }
  return HttpResponse{code, "application/json", obj.dump(), {}};
}

HttpResponse Verbs::get(VerbContext& c) {
  const auto obj = c.core.store().get(c.type->storage_key(), c.path.namespace_, c.path.name);
  if (!obj) throw not_found(*c.type, c.path.name);
  if (c.path.subresource == "scale") {
    return HttpResponse{200, "application/json", to_scale(*c.type, *obj).dump(), {}};
  }
  return object_response(200, as_version(*c.type, *obj), c);
}

HttpResponse Verbs::list(VerbContext& c, std::optional<WatchParams>& watch) {
  const ResourceType& t = *c.type;
  const RequestTarget& q = c.target;
  ObjectStore& store = c.core.store();
  const std::string ns = c.path.namespace_;
  const LabelSelector labels = label_selector(q);
  const FieldSelector fields = field_selector(q);
  const std::string rv_param = q.param("resourceVersion");
  const std::optional<uint64_t> rv = parse_revision(rv_param);
  if (!rv_param.empty() && !rv) {
    throw bad_request("resourceVersion: Invalid value: \"" + rv_param +
                      "\": strconv.ParseUint: parsing \"" + rv_param + "\": invalid syntax");
  }

  if (q.flag("watch") || q.param("watch") == "True") {
    WatchParams w;
    w.type = c.type;
    w.namespace_ = ns;
    w.labels = labels;
    w.fields = fields;
    w.bookmarks = q.flag("allowWatchBookmarks");
    w.send_initial_events = q.flag("sendInitialEvents");
    // No resourceVersion (or "0") starts with the current objects; a revision resumes after it.
    if (rv && *rv != 0 && !w.send_initial_events) w.from_revision = rv;
    if (q.has("timeoutSeconds")) {
      try {
        w.timeout_seconds = std::max(0, std::stoi(q.param("timeoutSeconds")));
      } catch (const std::exception&) {
        throw bad_request("timeoutSeconds: invalid value " + q.param("timeoutSeconds"));
      }
    }
    w.as_table = wants(c.req, "Table");
    if (q.has("includeObject")) w.include_object = q.param("includeObject");
    watch = std::move(w);
    return HttpResponse{};
  }

  uint64_t list_rv = store.revision();
  std::string start;
  std::vector<json> objects;
  if (q.has("continue") && !q.param("continue").empty()) {
    const auto decoded = base64_decode(q.param("continue"));
    const json token = decoded ? json::parse(*decoded, nullptr, false) : json();
    if (!token.is_object() || !token.contains("rv") || !token["rv"].is_number_integer()) {
      throw bad_request(
          "continue key is not valid: incorrect encoded start resourceVersion "
          "(version meta.k8s.io/v1)");
    }
    start = token.value("start", "");
    const int64_t token_rv = token["rv"].get<int64_t>();
    if (token_rv > 0 && static_cast<uint64_t>(token_rv) < store.compacted_revision()) {
      auto status = failure_status(410, "Expired", kContinueExpired);
      status["metadata"] = {{"continue", continue_token(-1, start)}};
      throw ApiError(410, status);
    }
    if (token_rv > 0) {
      list_rv = static_cast<uint64_t>(token_rv);
      objects = store.list_at(t.storage_key(), ns, list_rv);
    } else {
      objects = store.list(t.storage_key(), ns);
    }
  } else if (q.param("resourceVersionMatch") == "Exact") {
    if (!rv)
      throw bad_request(
          "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless "
          "resourceVersion is provided");
    if (*rv < store.compacted_revision()) {
      throw gone("The resourceVersion for the provided list is too old.");
    }
    list_rv = *rv;
    objects = store.list_at(t.storage_key(), ns, list_rv);
  } else {
    objects = store.list(t.storage_key(), ns);
  }

  std::vector<json> selected;
  for (auto& obj : objects) {
    if (!start.empty() && list_key(t, ns, obj) + std::string(1, '\0') <= start) continue;
    if (!labels.matches(meta_field(obj, "labels")) || !fields.matches(obj)) continue;
    selected.push_back(as_version(t, std::move(obj)));
  }
  json meta = {{"resourceVersion", std::to_string(list_rv)}};
  int64_t limit = 0;
  if (q.has("limit")) {
    try {
      limit = std::stoll(q.param("limit"));
    } catch (const std::exception&) {
      limit = 0;
    }
  }
  if (limit > 0 && static_cast<size_t>(limit) < selected.size()) {
    const size_t remaining = selected.size() - static_cast<size_t>(limit);
    selected.resize(static_cast<size_t>(limit));
    meta["continue"] = continue_token(static_cast<int64_t>(list_rv),
                                      list_key(t, ns, selected.back()) + std::string(1, '\0'));
    if (labels.empty() && fields.empty()) meta["remainingItemCount"] = remaining;
  }

  if (wants(c.req, "Table")) {
    const auto table = to_table(t, selected, q.param("includeObject"), meta);
    return HttpResponse{200, "application/json", table.dump(), {}};
  }
  if (wants(c.req, "PartialObjectMetadataList")) {
    json items = json::array();
    for (const auto& obj : selected) {
      items.push_back({{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", obj["metadata"]}});
    }
    const json list = {{"kind", "PartialObjectMetadataList"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", meta},
                       {"items", items}};
    return HttpResponse{200, "application/json", list.dump(), {}};
  }
  // Custom resource lists are unstructured: their metadata always carries "continue".
  if (t.is_custom() && !meta.contains("continue")) meta["continue"] = "";
  const json list = {{"apiVersion", t.group_version()},
                     {"kind", t.list_kind},
                     {"metadata", meta},
                     {"items", selected}};
  return HttpResponse{200, "application/json", list.dump(), {}};
}

}  // namespace fakeapi
