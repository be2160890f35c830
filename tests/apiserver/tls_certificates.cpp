#include "tls_certificates.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string_view>

namespace fakeapi {
namespace {

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

PKey new_key() {
  PKey key(EVP_EC_gen("P-256"), &EVP_PKEY_free);
  check(key != nullptr, "EVP_EC_gen");
  return key;
}

void add_name_entry(X509_NAME* name, const char* field, std::string_view value) {
  check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(value.data()),
                                   static_cast<int>(value.size()), -1, 0) == 1,
        "X509_NAME_add_entry_by_txt");
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, "X509_add_ext");
}

struct CertSpec {
  std::string common_name;
  std::string organization;  // empty: none
  bool is_ca = false;
  std::string extended_usage;  // "serverAuth" / "clientAuth"
  std::string subject_alt_names;
};

// Signs `key`'s certificate with `issuer_key` (self-signed when issuer is null).
Cert make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  Cert cert(X509_new(), &X509_free);
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial_bytes[16];
  check(RAND_bytes(serial_bytes, sizeof serial_bytes) == 1, "RAND_bytes");
  serial_bytes[0] &= 0x7f;
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  check(serial != nullptr, "BN_bin2bn");
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  // Valid from an hour ago, so that clock skew between threads and processes never matters.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 60L * 60 * 24 * 365);
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (!spec.organization.empty()) add_name_entry(name, "O", spec.organization);
  add_name_entry(name, "CN", spec.common_name);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "set_issuer_name");
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  if (spec.is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage,
                  "critical,keyCertSign,cRLSign,digitalSignature");
    add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    add_extension(cert.get(), signer, NID_ext_key_usage, spec.extended_usage.c_str());
    add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  }
  if (!spec.subject_alt_names.empty()) {
    add_extension(cert.get(), signer, NID_subject_alt_name, spec.subject_alt_names.c_str());
  }
  check(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key, EVP_sha256()) > 0,
        "X509_sign");
  return cert;
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(len));
  BIO_free(bio);
  return out;
}

std::string cert_pem(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio != nullptr && PEM_write_bio_X509(bio, cert) == 1, "PEM_write_bio_X509");
  return bio_text(bio);
}

std::string key_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  check(bio != nullptr &&
            PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return bio_text(bio);
}

std::string base64(const std::string& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(data.data()),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

TlsCertificates generate_tls_certificates() {
  PKey ca_key = new_key();
  CertSpec ca_spec;
  ca_spec.common_name = "fake-kube-apiserver-ca";
  ca_spec.is_ca = true;
  Cert ca = make_cert(ca_spec, ca_key.get(), nullptr, nullptr);
  PKey server_key = new_key();
  CertSpec server_spec;
  server_spec.common_name = "kube-apiserver";
  server_spec.extended_usage = "serverAuth";
  server_spec.subject_alt_names = "IP:127.0.0.1,DNS:localhost,DNS:kubernetes";
  Cert server = make_cert(server_spec, server_key.get(), ca.get(), ca_key.get());
  PKey client_key = new_key();
  CertSpec client_spec;
  client_spec.common_name = "fake-admin";
  client_spec.organization = "system:masters";
  client_spec.extended_usage = "clientAuth";
  Cert client = make_cert(client_spec, client_key.get(), ca.get(), ca_key.get());
  return {cert_pem(ca.get()),        key_pem(ca_key.get()),  cert_pem(server.get()),
          key_pem(server_key.get()), cert_pem(client.get()), key_pem(client_key.get())};
}

std::string admin_kubeconfig(const TlsCertificates& certs, unsigned short port) {
  std::string out;
  out += "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n";
  out += "    server: https://127.0.0.1:" + std::to_string(port) + "\n";
  out += "    certificate-authority-data: " + base64(certs.ca_cert_pem) + "\n";
  out += "users:\n- name: fake-admin\n  user:\n";
  out += "    client-certificate-data: " + base64(certs.client_cert_pem) + "\n";
  out += "    client-key-data: " + base64(certs.client_key_pem) + "\n";
  out += "contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake-admin\n";
  out += "    namespace: default\ncurrent-context: fake\n";
  return out;
}

}  // namespace fakeapi
