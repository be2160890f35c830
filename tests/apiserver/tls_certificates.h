// The certificates a fake kube-apiserver serves with, generated at start with OpenSSL: a CA, a
// server certificate for 127.0.0.1 and localhost, and an admin client certificate
// (CN=fake-admin, O=system:masters) that kubectl presents. All keys are ECDSA P-256.
#pragma once

#include <string>

namespace fakeapi {

struct TlsCertificates {
  std::string ca_cert_pem;
  std::string ca_key_pem;
  std::string server_cert_pem;
  std::string server_key_pem;
  std::string client_cert_pem;
  std::string client_key_pem;
};

// Throws std::runtime_error when OpenSSL fails.
TlsCertificates generate_tls_certificates();

// A kubeconfig (YAML) for https://127.0.0.1:port with the CA and the admin client certificate
// inline, context "fake" with namespace "default".
std::string admin_kubeconfig(const TlsCertificates& certs, unsigned short port);

}  // namespace fakeapi
