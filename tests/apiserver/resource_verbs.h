// The resource verbs (get, list, watch set-up, create, update, patch, apply, delete) and the
// write pipeline they share. Callers hold the store's lock.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_core.h"
#include "api_path.h"
#include "http_message.h"
#include "resource_registry.h"

namespace fakeapi {

struct VerbContext {
  ApiCore& core;
  const HttpRequest& req;
  const RequestTarget& target;
  const ResourcePath& path;
  ResourceTypePtr type;
};

// How a write reaches the store.
struct WriteOptions {
  std::string manager;               // the Update manager recorded in managedFields
  std::string subresource;           // "", "status" or "scale"
  bool managed_fields_done = false;  // server-side apply already set them
  bool dry_run = false;
  std::string field_validation = "Strict";       // Strict, Warn, Ignore
  std::vector<std::string>* warnings = nullptr;  // unknown fields under Warn
};

struct Verbs {
  static HttpResponse get(VerbContext& c);
  static HttpResponse list(VerbContext& c, std::optional<WatchParams>& watch);
  static HttpResponse create(VerbContext& c);
  static HttpResponse update(VerbContext& c);
  static HttpResponse patch(VerbContext& c);
  static HttpResponse remove(VerbContext& c);
  static HttpResponse remove_collection(VerbContext& c);

  // Stores `after` as the new state of `before` (null: create) after the subresource rules,
  // defaults, validation, generation and managed fields. Returns the stored object (`before`
  // unchanged when the write changed nothing). Throws ApiError.
  static nlohmann::json commit(ApiCore& core, const ResourceType& type,
                               const nlohmann::json& before, nlohmann::json after,
                               const WriteOptions& opts);
  // Deletes per propagation policy (Background, Foreground, Orphan) honouring finalizers.
  // Returns the object as it ends up (with deletionTimestamp when it stays).
  static nlohmann::json delete_object(ApiCore& core, const ResourceType& type, nlohmann::json obj,
                                      const std::string& propagation);
  // Runs the garbage collector and the finalizer bookkeeping until nothing changes.
  static void collect_garbage(ApiCore& core);

  // The object shown under the requested version.
  static nlohmann::json as_version(const ResourceType& type, nlohmann::json obj);
  static std::string manager_of(const HttpRequest& req, const RequestTarget& t);
  static HttpResponse object_response(int code, const nlohmann::json& obj, VerbContext& c);
};

}  // namespace fakeapi
