// Watches: the initial events (current objects, or the history after a resourceVersion),
// filtering by namespace and selectors (an object leaving the selection is DELETED for the
// watcher, one entering it ADDED), BOOKMARKs and the ERROR event of a compacted revision.
#include "api_core.h"
#include "api_errors.h"
#include "object_util.h"
#include "resource_verbs.h"
#include "tables.h"

namespace fakeapi {
namespace {

using nlohmann::json;

bool selected(const WatchParams& p, const json& obj) {
  if (!obj.is_object()) return false;
  if (!p.namespace_.empty() && meta_string(obj, "namespace") != p.namespace_) return false;
  return p.labels.matches(meta_field(obj, "labels")) && p.fields.matches(obj);
}

// One event line; Table watches carry one-row Tables, column definitions only in the first.
std::string event_line(const WatchParams& p, const std::string& type, const json& obj,
                       bool& first) {
  json object = Verbs::as_version(*p.type, obj);
  json line;
  if (p.as_table && type != "BOOKMARK" && type != "ERROR") {
    line = {{"type", type},
            {"object",
             to_table(*p.type, {object}, p.include_object,
                      json{{"resourceVersion", meta_string(obj, "resourceVersion")}}, first)}};
    first = false;
  } else {
    line = {{"type", type}, {"object", object}};
  }
  return line.dump() + "\n";
}

// The watch's view of a stored event, or nothing when the watcher does not see it.
std::optional<std::pair<std::string, json>> translate(const WatchParams& p, const WatchEvent& ev) {
  const bool now_in = ev.type != "DELETED" && selected(p, ev.object);
  const bool was_in = ev.type == "DELETED" ? selected(p, ev.object)
                                           : !ev.previous.is_null() && selected(p, ev.previous);
  if (ev.type == "DELETED") {
    if (was_in) return std::make_pair(std::string("DELETED"), ev.object);
    return std::nullopt;
  }
  if (now_in && was_in) return std::make_pair(std::string("MODIFIED"), ev.object);
  if (now_in) return std::make_pair(std::string("ADDED"), ev.object);
  if (was_in) {
    json gone = ev.object;
    return std::make_pair(std::string("DELETED"), gone);
  }
  return std::nullopt;
}

}  // namespace

std::string ApiCore::bookmark_line(const WatchParams& p) {
  const json bookmark = {
      {"type", "BOOKMARK"},
      {"object",
       {{"apiVersion", p.type->group_version()},
        {"kind", p.type->kind},
        {"metadata", {{"resourceVersion", std::to_string(store_.revision())}}}}}};
  return bookmark.dump() + "\n";
}

WatchStart ApiCore::start_watch(const WatchParams& p, std::function<void(std::string)> on_line) {
  auto guard = store_.lock();
  WatchStart start;
  auto first = std::make_shared<bool>(true);
  const std::string key = p.type->storage_key();
  if (p.from_revision) {
    const auto events = store_.events_since(key, *p.from_revision);
    if (!events) {
      const auto status =
          failure_status(410, "Expired",
                         "too old resource version: " + std::to_string(*p.from_revision) + " (" +
                             std::to_string(store_.compacted_revision()) + ")");
      start.initial_lines.push_back(json{{"type", "ERROR"}, {"object", status}}.dump() + "\n");
      return start;
    }
    for (const auto& ev : *events) {
      if (auto t = translate(p, ev)) {
        start.initial_lines.push_back(event_line(p, t->first, t->second, *first));
      }
    }
  } else {
    for (const auto& obj : store_.list(key, p.namespace_)) {
      if (selected(p, obj)) start.initial_lines.push_back(event_line(p, "ADDED", obj, *first));
    }
    if (p.send_initial_events && p.bookmarks) {
      const json blueprint = {{"apiVersion", p.type->group_version()},
                              {"items", json::array()},
                              {"kind", p.type->list_kind}};
      const json bookmark = {{"type", "BOOKMARK"},
                             {"object",
                              {{"apiVersion", p.type->group_version()},
                               {"kind", p.type->kind},
                               {"metadata",
                                {{"annotations",
                                  {{"k8s.io/initial-events-end", "true"},
                                   {"kubernetes.io/initial-events-list-blueprint",
                                    base64_encode(blueprint.dump() + "\n")}}},
                                 {"resourceVersion", std::to_string(store_.revision())}}}}}};
      start.initial_lines.push_back(bookmark.dump() + "\n");
    }
  }
  const WatchParams params = p;
  start.watcher_id = store_.add_watcher(key, [params, first, on_line](const WatchEvent& ev) {
    if (auto t = translate(params, ev)) on_line(event_line(params, t->first, t->second, *first));
  });
  return start;
}

void ApiCore::stop_watch(uint64_t watcher_id) { store_.remove_watcher(watcher_id); }

}  // namespace fakeapi
