// Base64, as kubeconfig files carry certificates and keys inline.
#pragma once

#include <string>
#include <string_view>

namespace kube {

// Standard alphabet, padding optional, whitespace ignored; throws std::invalid_argument on any
// other character.
std::string base64_decode(std::string_view text);

}  // namespace kube
