// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf): typed
// client-go clients send built-in types that way, and helm keeps its releases in Secrets through
// one. Decoded to the JSON the server stores, for the messages those clients write: Secret and
// DeleteOptions. Other kinds are answered 415, as a server without that encoding would.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fakeapi {

bool is_protobuf(const std::string& content_type);

// The object in a "k8s\0" + runtime.Unknown envelope, as JSON with apiVersion and kind; empty
// and zero fields are left out, as JSON's omitempty does. Throws ApiError 400 for a malformed
// body, 415 for a kind it does not decode.
nlohmann::json decode_protobuf(const std::string& body);

}  // namespace fakeapi
