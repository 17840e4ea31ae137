// Certificates for the TLS tests, made on the spot with OpenSSL (EC P-256 keys: a set
// takes milliseconds): a test CA, a server certificate for 127.0.0.1 and localhost, client
// certificates (valid, from another CA, expired, of a subject that maps to no principal),
// PEM files of them in a directory, rotation of the server's certificate, and a raw TLS
// client for the HTTP port.
//
// Part of the d06_testing library (tests/testing). Example:
//
//   TempDir dir("d06-tls-test");
//   TestPki pki(dir.path());                 // writes ca.pem, server.pem, server.key, ...
//   options.tls_cert = pki.server_cert_file();
//   options.tls_key = pki.server_key_file();
//   options.client_ca = pki.ca_file();
//   auto creds = grpc::SslCredentials({pki.ca().cert_pem(), pki.client().key_pem,
//                                      pki.client().cert_pem});
//   std::string serial = pki.RotateServer();  // new files in place (rename), new serial
//
// Helpers throw std::runtime_error on an OpenSSL failure.
#ifndef D06_TESTS_TESTING_TEST_CA_H_
#define D06_TESTS_TESTING_TEST_CA_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace d06::testing {

namespace test_ca_internal {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

inline void Check(bool ok, const char* what) {
  if (!ok) {
    ERR_clear_error();
    throw std::runtime_error(absl::StrCat("test_ca: ", what, " failed"));
  }
}

inline std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

inline std::string CertPem(X509* cert) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  return BioText(bio.get());
}

inline std::string KeyPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  Check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_bio_PrivateKey");
  return BioText(bio.get());
}

inline X509Ptr ParseCert(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  Check(cert != nullptr, "PEM_read_bio_X509");
  return cert;
}

inline PkeyPtr ParseKey(const std::string& pem) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  Check(key != nullptr, "PEM_read_bio_PrivateKey");
  return key;
}

inline void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "X509V3_EXT_conf_nid");
  Check(X509_add_ext(cert, ext, -1) == 1, "X509_add_ext");
  X509_EXTENSION_free(ext);
}

}  // namespace test_ca_internal

// The serial number of the first certificate of `pem`, in upper-case hex ("" if none).
inline std::string SerialOf(const std::string& pem) {
  using namespace test_ca_internal;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (cert == nullptr) return "";
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(cert.get()), nullptr);
  char* hex = BN_bn2hex(bn);
  std::string out(hex);
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

// A certificate and its key, PEM.
struct Issued {
  std::string cert_pem;
  std::string key_pem;
  std::string serial() const { return SerialOf(cert_pem); }
};

// What a certificate says.
struct CertSpec {
  std::string common_name;
  std::vector<std::string> uris;  // subjectAltName URI:
  std::vector<std::string> dns;   // subjectAltName DNS:
  std::vector<std::string> ips;   // subjectAltName IP:
  bool server = false;            // extendedKeyUsage serverAuth, else clientAuth
  absl::Time not_before = absl::Now() - absl::Hours(1);
  absl::Time not_after = absl::Now() + absl::Hours(24);
  // Issue with this key (PEM) instead of a new one.
  std::string key_pem;
};

// A self-signed CA that issues certificates (EC P-256, SHA-256).
class TestCa {
 public:
  explicit TestCa(const std::string& name = "d06 test CA") {
    using namespace test_ca_internal;
    key_.reset(EVP_EC_gen("P-256"));
    Check(key_ != nullptr, "EVP_EC_gen");
    cert_.reset(X509_new());
    X509* x = cert_.get();
    Start(x, name, absl::Now() - absl::Hours(1), absl::Now() + absl::Hours(48));
    Check(X509_set_issuer_name(x, X509_get_subject_name(x)) == 1, "X509_set_issuer_name");
    Check(X509_set_pubkey(x, key_.get()) == 1, "X509_set_pubkey");
    AddExtension(x, x, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    AddExtension(x, x, NID_subject_key_identifier, "hash");
    Check(X509_sign(x, key_.get(), EVP_sha256()) > 0, "X509_sign");
    cert_pem_ = CertPem(x);
  }

  const std::string& cert_pem() const { return cert_pem_; }

  Issued Issue(const CertSpec& spec) const {
    using namespace test_ca_internal;
    PkeyPtr key(spec.key_pem.empty() ? EVP_EC_gen("P-256") : ParseKey(spec.key_pem).release());
    Check(key != nullptr, "EVP_EC_gen");
    X509Ptr cert(X509_new());
    X509* x = cert.get();
    Start(x, spec.common_name, spec.not_before, spec.not_after);
    Check(X509_set_issuer_name(x, X509_get_subject_name(cert_.get())) == 1, "X509_set_issuer_name");
    Check(X509_set_pubkey(x, key.get()) == 1, "X509_set_pubkey");
    AddExtension(x, cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(x, cert_.get(), NID_key_usage, "critical,digitalSignature");
    AddExtension(x, cert_.get(), NID_ext_key_usage, spec.server ? "serverAuth" : "clientAuth");
    AddExtension(x, cert_.get(), NID_authority_key_identifier, "keyid");
    std::vector<std::string> names;
    for (const std::string& uri : spec.uris) names.push_back("URI:" + uri);
    for (const std::string& dns : spec.dns) names.push_back("DNS:" + dns);
    for (const std::string& ip : spec.ips) names.push_back("IP:" + ip);
    if (!names.empty()) {
      AddExtension(x, cert_.get(), NID_subject_alt_name, absl::StrJoin(names, ","));
    }
    Check(X509_sign(x, key_.get(), EVP_sha256()) > 0, "X509_sign");
    return {CertPem(x), KeyPem(key.get())};
  }

  // A server certificate for 127.0.0.1 and localhost.
  Issued Server(const std::string& key_pem = "") const {
    CertSpec spec;
    spec.common_name = "localhost";
    spec.dns = {"localhost"};
    spec.ips = {"127.0.0.1"};
    spec.server = true;
    spec.key_pem = key_pem;
    return Issue(spec);
  }

  // A client certificate with subjectAltName `uri` and common name `cn`.
  Issued Client(const std::string& uri, const std::string& cn) const {
    CertSpec spec;
    spec.common_name = cn;
    spec.uris = {uri};
    return Issue(spec);
  }

 private:
  static void Start(X509* x, const std::string& cn, absl::Time not_before, absl::Time not_after) {
    using namespace test_ca_internal;
    Check(X509_set_version(x, 2) == 1, "X509_set_version");
    BIGNUM* serial = BN_new();
    Check(BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1, "BN_rand");
    Check(BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) != nullptr, "BN_to_ASN1");
    BN_free(serial);
    Check(ASN1_TIME_set(X509_getm_notBefore(x), absl::ToTimeT(not_before)) != nullptr, "notBefore");
    Check(ASN1_TIME_set(X509_getm_notAfter(x), absl::ToTimeT(not_after)) != nullptr, "notAfter");
    X509_NAME* name = X509_get_subject_name(x);
    Check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                     0) == 1,
          "X509_NAME_add_entry_by_txt");
  }

  test_ca_internal::PkeyPtr key_;
  test_ca_internal::X509Ptr cert_;
  std::string cert_pem_;
};

// Writes `text` to `path` through a temporary file and a rename, as a certificate
// rotation does: a reader sees the old file or the new one, never half of it.
inline void WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("test_ca: cannot write " + temporary);
  }
  std::filesystem::rename(temporary, path);
}

// The set of certificates the TLS tests use, written into `dir`: ca.pem (the test CA,
// the client CA), server.pem and server.key (127.0.0.1, localhost), and the client
// certificates.
class TestPki {
 public:
  static constexpr char kClientUri[] = "spiffe://d06.test/system/h40";
  static constexpr char kClientCn[] = "he-thong-h40";

  explicit TestPki(const std::string& dir)
      : dir_(dir),
        other_ca_("another CA"),
        server_(ca_.Server()),
        client_(ca_.Client(kClientUri, kClientCn)),
        other_client_(other_ca_.Client(kClientUri, kClientCn)),
        unknown_client_(ca_.Client("spiffe://d06.test/system/khong-ai", "khong-ai")) {
    CertSpec expired;
    expired.common_name = kClientCn;
    expired.uris = {kClientUri};
    expired.not_before = absl::Now() - absl::Hours(48);
    expired.not_after = absl::Now() - absl::Hours(24);
    expired_client_ = ca_.Issue(expired);
    WriteFileAtomically(ca_file(), ca_.cert_pem());
    WriteServer();
  }

  const TestCa& ca() const { return ca_; }
  const TestCa& other_ca() const { return other_ca_; }
  std::string ca_file() const { return dir_ + "/ca.pem"; }
  std::string server_cert_file() const { return dir_ + "/server.pem"; }
  std::string server_key_file() const { return dir_ + "/server.key"; }

  const Issued& server() const { return server_; }
  // Of the test CA: kClientUri, kClientCn.
  const Issued& client() const { return client_; }
  // The same names, from another CA.
  const Issued& other_client() const { return other_client_; }
  // Of the test CA, expired yesterday.
  const Issued& expired_client() const { return expired_client_; }
  // Of the test CA, a subject no principal has ("spiffe://d06.test/system/khong-ai").
  const Issued& unknown_client() const { return unknown_client_; }

  // A new server certificate (new serial; the same key unless `new_key`) written over
  // server.pem and server.key (key first when it changes, each by a rename); returns its
  // serial.
  std::string RotateServer(bool new_key = false) {
    server_ = ca_.Server(new_key ? "" : server_.key_pem);
    WriteServer();
    return server_.serial();
  }

  // Writes `text` as a file of the directory; returns its path.
  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = dir_ + "/" + name;
    WriteFileAtomically(path, text);
    return path;
  }

 private:
  void WriteServer() {
    WriteFileAtomically(server_key_file(), server_.key_pem);
    WriteFileAtomically(server_cert_file(), server_.cert_pem);
  }

  std::string dir_;
  TestCa ca_;
  TestCa other_ca_;
  Issued server_;
  Issued client_;
  Issued other_client_;
  Issued expired_client_;
  Issued unknown_client_;
};

// What a raw TLS exchange with 127.0.0.1:port saw.
struct TlsExchange {
  bool handshake = false;     // the handshake completed, the server's certificate trusted
  std::string error;          // why not
  std::string server_serial;  // of the certificate the server presented
  std::string response;       // everything the server sent until it closed or timed out
};

// Connects to 127.0.0.1:port with TLS (trusting `ca_pem`, checking the name 127.0.0.1,
// presenting `client` when it has a certificate), sends `request` and reads the answer
// until the server closes or `timeout` passes; with an empty `request`, only the
// handshake.
inline TlsExchange TlsRequest(int port, const std::string& ca_pem, const std::string& request,
                              const Issued& client = {},
                              absl::Duration timeout = absl::Seconds(10)) {
  using namespace test_ca_internal;
  TlsExchange out;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                        &SSL_CTX_free);
  X509Ptr ca = ParseCert(ca_pem);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  if (!client.cert_pem.empty()) {
    X509Ptr cert = ParseCert(client.cert_pem);
    PkeyPtr key = ParseKey(client.key_pem);
    SSL_CTX_use_certificate(ctx.get(), cert.get());
    SSL_CTX_use_PrivateKey(ctx.get(), key.get());
  }
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv = {static_cast<time_t>(absl::ToInt64Seconds(timeout)), 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    out.error = "connect failed";
    return out;
  }
  SSL* ssl = SSL_new(ctx.get());
  SSL_set_fd(ssl, fd);
  SSL_set1_host(ssl, "127.0.0.1");
  if (SSL_connect(ssl) != 1) {
    char text[256];
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    out.error = absl::StrCat("handshake failed: ", text);
    ERR_clear_error();
  } else {
    out.handshake = true;
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      out.server_serial = SerialOf(CertPem(peer));
      X509_free(peer);
    }
    if (!request.empty()) {
      SSL_write(ssl, request.data(), static_cast<int>(request.size()));
      char buffer[4096];
      int n;
      while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0) out.response.append(buffer, n);
      ERR_clear_error();
    }
  }
  SSL_free(ssl);
  close(fd);
  return out;
}

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_TEST_CA_H_
