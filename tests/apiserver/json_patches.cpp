#include "json_patches.h"

#include <string>

namespace fakeapi {
namespace {

using nlohmann::json;

json::json_pointer pointer(const json& op, const char* key) {
  if (!op.contains(key) || !op[key].is_string()) {
    throw PatchError(std::string("missing '") + key + "' in JSON patch operation");
  }
  try {
    return json::json_pointer(op[key].get<std::string>());
  } catch (const json::exception& e) {
    throw PatchError("invalid JSON pointer " + op[key].dump());
  }
}

// Adds `value` at `ptr`: into an object's key, or before an array index ("-" appends).
void add_at(json& doc, const json::json_pointer& ptr, const json& value) {
  if (ptr.empty()) {
    doc = value;
    return;
  }
  const std::string last = ptr.back();
  json::json_pointer parent_ptr = ptr.parent_pointer();
  if (!doc.contains(parent_ptr)) {
    throw PatchError("add operation does not apply: doc is missing path: \"" +
                     parent_ptr.to_string() + "\": missing value");
  }
  json& parent = doc[parent_ptr];
  if (parent.is_array()) {
    if (last == "-") {
      parent.push_back(value);
      return;
    }
    size_t idx = 0;
    try {
      idx = std::stoul(last);
    } catch (const std::exception&) {
      throw PatchError("add operation does not apply: invalid array index \"" + last + "\"");
    }
    if (idx > parent.size()) {
      throw PatchError("add operation does not apply: index out of bounds: " + last);
    }
    parent.insert(parent.begin() + static_cast<long>(idx), value);
  } else if (parent.is_object()) {
    parent[last] = value;
  } else {
    throw PatchError("add operation does not apply: parent of \"" + ptr.to_string() +
                     "\" is not a container");
  }
}

void remove_at(json& doc, const json::json_pointer& ptr, const std::string& op) {
  if (ptr.empty() || !doc.contains(ptr)) {
    throw PatchError(op + " operation does not apply: doc is missing path: \"" + ptr.to_string() +
                     "\": missing value");
  }
  json& parent = doc[ptr.parent_pointer()];
  if (parent.is_array()) {
    parent.erase(std::stoul(ptr.back()));
  } else {
    parent.erase(ptr.back());
  }
}

}  // namespace

json apply_json_patch(const json& doc, const json& patch) {
  if (!patch.is_array())
    throw PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  json out = doc;
  for (const auto& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string()) {
      throw PatchError("Unexpected kind: unknown");
    }
    const std::string kind = op["op"].get<std::string>();
    const json::json_pointer path = pointer(op, "path");
    if (kind == "add" || kind == "replace" || kind == "test") {
      if (!op.contains("value")) throw PatchError(kind + " operation has no value");
    }
    if (kind == "add") {
      add_at(out, path, op["value"]);
    } else if (kind == "remove") {
      remove_at(out, path, kind);
    } else if (kind == "replace") {
      if (!out.contains(path)) {
        throw PatchError("replace operation does not apply: doc is missing key: " +
                         path.to_string() + ": missing value");
      }
      out[path] = op["value"];
    } else if (kind == "move" || kind == "copy") {
      const json::json_pointer from = pointer(op, "from");
      if (!out.contains(from)) {
        throw PatchError(kind + " operation does not apply: doc is missing from path: \"" +
                         from.to_string() + "\": missing value");
      }
      json value = out[from];
      if (kind == "move") remove_at(out, from, kind);
      add_at(out, path, value);
    } else if (kind == "test") {
      if (!out.contains(path) || out[path] != op["value"]) {
        throw PatchError("testing value " + path.to_string() + " failed: test failed");
      }
    } else {
      throw PatchError("Unexpected kind: " + kind);
    }
  }
  return out;
}

json apply_merge_patch(const json& doc, const json& patch) {
  if (!patch.is_object()) return patch;
  json out = doc.is_object() ? doc : json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      out.erase(key);
    } else {
      out[key] = apply_merge_patch(out.contains(key) ? out[key] : json(), value);
    }
  }
  return out;
}

}  // namespace fakeapi
