// meta.k8s.io/v1 Table output (Accept: application/json;as=Table;v=v1;g=meta.k8s.io): the
// columns kubectl prints. Custom resources use their CRD's additionalPrinterColumns (Name
// first); built-in types have the columns kube-apiserver's printers give them.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resource_registry.h"

namespace fakeapi {

std::vector<PrinterColumn> table_columns(const ResourceType& type);

// `include_object`: None, Metadata (PartialObjectMetadata, the default) or Object.
// `list_metadata`: the list's metadata (resourceVersion, continue, remainingItemCount).
// `with_columns` false leaves columnDefinitions empty (watch events after the first).
nlohmann::ordered_json to_table(const ResourceType& type,
                                const std::vector<nlohmann::json>& objects,
                                const std::string& include_object,
                                const nlohmann::json& list_metadata, bool with_columns = true);

// duration.HumanDuration of the time since an RFC 3339 timestamp: "42s", "5m10s", "3h", "2d".
std::string age_since(const std::string& timestamp);

}  // namespace fakeapi
