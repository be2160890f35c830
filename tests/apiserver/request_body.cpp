#include "request_body.h"

#include "api_errors.h"
#include "protobuf_body.h"
#include "yaml_json.h"

namespace fakeapi {
namespace {

using nlohmann::json;

// Go's encoding/json error for a body nlohmann could not parse.
std::string go_json_error(const std::string& body, const json::parse_error& e) {
  if (e.byte >= body.size()) return "unexpected end of JSON input";
  const size_t at = e.byte > 0 ? e.byte - 1 : 0;
  return std::string("invalid character '") + body[at] + "' looking for beginning of value";
}

}  // namespace

json decode_object(const ResourceType& type, const std::string& body,
                   const std::string& content_type) {
  json obj;
  const std::string unrecognized =
      "the object provided is unrecognized (must be of type " + type.kind + "): ";
  if (is_protobuf(content_type)) {
    obj = decode_protobuf(body);
  } else if (content_type.find("yaml") != std::string::npos) {
    try {
      obj = yaml_to_json(body);
    } catch (const YamlError& e) {
      throw bad_request(unrecognized + "couldn't get version/kind; yaml parse error: " + e.what());
    }
  } else {
    try {
      obj = json::parse(body);
    } catch (const json::parse_error& e) {
      throw bad_request(unrecognized + "couldn't get version/kind; json parse error: " +
                        go_json_error(body, e) + " (" + body + ")");
    }
  }
  if (!obj.is_object()) {
    throw bad_request(unrecognized +
                      "couldn't get version/kind; json parse error: json: cannot "
                      "unmarshal " +
                      std::string(obj.type_name()) +
                      " into Go value of type struct { "
                      "APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
                      "\"json:\\\"kind,omitempty\\\"\" }");
  }
  if (!obj.contains("kind") || !obj["kind"].is_string() || obj["kind"] == "") {
    throw bad_request("Object 'Kind' is missing in '" + body + "'");
  }
  if (!obj.contains("apiVersion") || !obj["apiVersion"].is_string()) {
    throw bad_request("Object 'apiVersion' is missing in '" + body + "'");
  }
  if (obj["apiVersion"] != type.group_version() || obj["kind"] != type.kind) {
    throw bad_request("the API version in the data (" + obj["apiVersion"].get<std::string>() +
                      ") does not match the expected API version (" + type.group_version() + ")");
  }
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  return obj;
}

json decode_patch(const std::string& body, bool yaml) {
  if (yaml) {
    try {
      return yaml_to_json(body);
    } catch (const YamlError& e) {
      throw bad_request(std::string("error decoding YAML: ") + e.what());
    }
  }
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    throw bad_request(std::string("error decoding patch: ") + go_json_error(body, e));
  }
}

}  // namespace fakeapi
