// What kube-apiserver fills in and checks for the built-in types this fake serves: service
// cluster IPs and port defaults, workload and pod template defaults, namespace phase, secret
// type; and the few required fields whose absence the real server rejects (422).
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field_error.h"
#include "resource_registry.h"

namespace fakeapi {

// `before` is the stored object on update (null on create); `allocate_ip` gives a fresh
// cluster IP for a new Service.
void apply_builtin_defaults(const ResourceType& type, nlohmann::json& obj,
                            const nlohmann::json& before,
                            const std::function<std::string()>& allocate_ip);

std::vector<Cause> builtin_causes(const ResourceType& type, const nlohmann::json& obj);

}  // namespace fakeapi
