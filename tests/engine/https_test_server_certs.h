// Certificates made at test time with the OpenSSL API: a CA, and server or client certificates it
// signs, as PEM text.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace mf_test {

struct CertifiedKey {
  std::string cert_pem;
  std::string key_pem;
};

class TestCa {
 public:
  explicit TestCa(const std::string& common_name);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  const std::string& cert_pem() const { return cert_pem_; }

  // A leaf certificate for a server ("serverAuth") or a client ("clientAuth"); `alt_names` are
  // subjectAltName entries such as "IP:127.0.0.1" or "DNS:localhost".
  CertifiedKey issue(const std::string& common_name, const std::vector<std::string>& alt_names,
                     bool client) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string cert_pem_;
};

}  // namespace mf_test
