#include "server/api/tls.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpcpp/security/server_credentials.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "d06/v1/api_names.h"
#include "server/domain/errors.h"

namespace d06::api {
namespace {

// A PEM file larger than this is not a certificate chain or a key.
constexpr std::streamsize kMaxPemBytes = 1 << 20;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

void Log(absl::string_view message) { log::Warning(absl::StrCat("tls: ", message)); }

absl::StatusOr<std::string> ReadFile(absl::string_view flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": cannot read it: ", strerror(errno)));
  }
  std::string text(static_cast<size_t>(kMaxPemBytes) + 1, '\0');
  in.read(text.data(), kMaxPemBytes + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > static_cast<size_t>(kMaxPemBytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, " ", path, ": larger than 1 MiB, not a PEM file"));
  }
  return text;
}

// Every certificate of `pem`, in order; empty when there is none or one is malformed.
std::vector<X509Ptr> ParseCertificates(absl::string_view pem) {
  std::vector<X509Ptr> out;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return out;
  ERR_clear_error();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) out.emplace_back(x);
  // The loop ends at the end of the text (no more PEM blocks), or at a malformed one.
  const unsigned long error = ERR_peek_last_error();
  if (error != 0 &&
      !(ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE)) {
    out.clear();
  }
  ERR_clear_error();
  return out;
}

// Refuses to prompt for a password: d06d takes unencrypted keys only.
int NoPassword(char*, int, int, void*) { return -1; }

std::string ToPem(const std::vector<X509Ptr>& certs) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  for (const X509Ptr& cert : certs) PEM_write_bio_X509(bio.get(), cert.get());
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string KeyToPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

std::string TimeText(const ASN1_TIME* time) {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (time == nullptr || ASN1_TIME_print(bio.get(), time) != 1) return "an unknown date";
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// The text of an IA5/UTF-8 string of a certificate, or nullopt when it holds a NUL (a
// name that would read as another one when cut there).
std::optional<std::string> AsnText(const ASN1_STRING* s) {
  if (s == nullptr) return std::nullopt;
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(s));
  std::string text(data, static_cast<size_t>(ASN1_STRING_length(s)));
  if (text.find('\0') != std::string::npos) return std::nullopt;
  return text;
}

absl::Status Untrusted(absl::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, v1::reason::kCertificateUntrusted, message);
}

// gRPC asks on every new connection whether the certificate changed
// (grpc_ssl_server_certificate_config_callback).
grpc_ssl_certificate_config_reload_status FetchGrpcConfig(
    void* port, grpc_ssl_server_certificate_config** config);

// gRPC's SSL server credentials with a certificate config fetcher: gRPC 1.51's
// TlsServerCredentials reloads certificates only from files it watches itself
// (FileWatcherCertificateProvider), which would serve a new certificate before d06 has
// checked it and, when the key and the certificate are replaced one after the other,
// a mismatched pair in between. The fetcher instead hands gRPC only pairs TlsFiles has
// checked, at the next connection after a reload. grpc::ServerCredentials has no public
// constructor from C credentials in 1.51, so this class adds the port itself, as
// grpc::SecureServerCredentials does.
class FetchingServerCredentials final : public grpc::ServerCredentials {
 public:
  explicit FetchingServerCredentials(grpc_server_credentials* credentials)
      : credentials_(credentials) {}
  ~FetchingServerCredentials() override { grpc_server_credentials_release(credentials_); }

  // d06 authenticates calls in its method table, not in a gRPC metadata processor.
  void SetAuthMetadataProcessor(const std::shared_ptr<grpc::AuthMetadataProcessor>&) override {
    Log("SetAuthMetadataProcessor is not supported on these credentials; ignored");
  }

 private:
  int AddPortToServer(const std::string& address, grpc_server* server) override {
    return grpc_server_add_http2_port(server, address.c_str(), credentials_);
  }

  grpc_server_credentials* const credentials_;
};

}  // namespace

struct TlsFiles::Loaded {
  std::shared_ptr<Material> material;                   // not changed once published in loaded_
  std::unique_ptr<X509_STORE, StoreFree> client_store;  // null: no client CA
  std::string signature;  // of the files when they were read (FilesSignature)
};

struct TlsFiles::GrpcPort {
  TlsFiles* files;
  std::atomic<uint64_t> served{0};  // the generation gRPC has
};

namespace {

grpc_ssl_certificate_config_reload_status FetchGrpcConfig(
    void* user_data, grpc_ssl_server_certificate_config** config) {
  auto* port = static_cast<TlsFiles::GrpcPort*>(user_data);
  const std::shared_ptr<const TlsFiles::Material> material = port->files->Current();
  if (material->generation == port->served.load()) {
    return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  }
  grpc_ssl_pem_key_cert_pair pair = {material->key_pem.c_str(), material->cert_chain_pem.c_str()};
  // Copies the strings.
  *config = grpc_ssl_server_certificate_config_create(
      material->client_ca_pem.empty() ? nullptr : material->client_ca_pem.c_str(), &pair, 1);
  port->served.store(material->generation);
  return GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
}

}  // namespace

TlsFiles::TlsFiles(const TlsFileOptions& options) : options_(options) {}

TlsFiles::~TlsFiles() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (poller_.joinable()) poller_.join();
}

absl::StatusOr<std::shared_ptr<TlsFiles>> TlsFiles::Load(const TlsFileOptions& options) {
  if (options.cert_file.empty() || options.key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key are both required for TLS");
  }
  std::shared_ptr<TlsFiles> files(new TlsFiles(options));
  absl::StatusOr<std::shared_ptr<Loaded>> loaded = files->Read();
  if (!loaded.ok()) return loaded.status();
  (*loaded)->material->generation = 1;
  {
    absl::MutexLock lock(&files->mu_);
    files->loaded_ = *std::move(loaded);
  }
  if (options.poll_interval > absl::ZeroDuration()) {
    TlsFiles* self = files.get();
    files->poller_ = std::thread([self] { self->Poll(); });
  }
  return files;
}

std::string TlsFiles::FilesSignature() const {
  std::string signature;
  for (const std::string* path :
       {&options_.cert_file, &options_.key_file, &options_.client_ca_file}) {
    if (path->empty()) continue;
    struct stat st = {};
    if (stat(path->c_str(), &st) != 0) {
      absl::StrAppend(&signature, "missing:", errno, ";");
      continue;
    }
    absl::StrAppend(&signature, st.st_dev, ":", st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec,
                    ".", st.st_mtim.tv_nsec, ":", st.st_ctim.tv_sec, ".", st.st_ctim.tv_nsec, ";");
  }
  return signature;
}

absl::StatusOr<std::shared_ptr<TlsFiles::Loaded>> TlsFiles::Read() const {
  auto loaded = std::make_shared<Loaded>();
  // Before reading: a change made while they are read is seen by the next poll.
  loaded->signature = FilesSignature();
  auto material = std::make_shared<Material>();

  absl::StatusOr<std::string> cert_text = ReadFile("--tls_cert", options_.cert_file);
  if (!cert_text.ok()) return cert_text.status();
  std::vector<X509Ptr> chain = ParseCertificates(*cert_text);
  if (chain.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_cert ", options_.cert_file,
        ": not a PEM certificate chain (expected one or more -----BEGIN CERTIFICATE----- "
        "blocks, the server's certificate first)"));
  }
  absl::StatusOr<std::string> key_text = ReadFile("--tls_key", options_.key_file);
  if (!key_text.ok()) return key_text.status();
  std::unique_ptr<BIO, BioFree> key_bio(
      BIO_new_mem_buf(key_text->data(), static_cast<int>(key_text->size())));
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &NoPassword, nullptr));
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key ", options_.key_file,
                     ": not a PEM private key (or one encrypted with a password: d06d needs it "
                     "unencrypted, readable by its user only)"));
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls_key ", options_.key_file, " does not match --tls_cert ", options_.cert_file,
        ": the key is not the one of the first certificate in the file (the server's)"));
  }
  if (X509_cmp_current_time(X509_get0_notAfter(chain.front().get())) < 0) {
    Log(absl::StrCat("WARNING: --tls_cert ", options_.cert_file, " expired on ",
                     TimeText(X509_get0_notAfter(chain.front().get())),
                     ": clients will refuse it; replace it"));
  }
  if (struct tm expiry; ASN1_TIME_to_tm(X509_get0_notAfter(chain.front().get()), &expiry) == 1) {
    material->not_after = absl::FromTM(expiry, absl::UTCTimeZone());
  }
  material->cert_chain_pem = ToPem(chain);
  material->key_pem = KeyToPem(key.get());

  if (!options_.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca_text = ReadFile("--client_ca", options_.client_ca_file);
    if (!ca_text.ok()) return ca_text.status();
    std::vector<X509Ptr> cas = ParseCertificates(*ca_text);
    if (cas.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--client_ca ", options_.client_ca_file,
                       ": not a PEM file of CA certificates (expected -----BEGIN CERTIFICATE----- "
                       "blocks)"));
    }
    loaded->client_store.reset(X509_STORE_new());
    for (const X509Ptr& ca : cas) {
      if (X509_STORE_add_cert(loaded->client_store.get(), ca.get()) != 1) {
        const unsigned long error = ERR_peek_last_error();
        ERR_clear_error();
        // The same CA twice is harmless.
        if (ERR_GET_REASON(error) == X509_R_CERT_ALREADY_IN_HASH_TABLE) continue;
        return absl::InvalidArgumentError(absl::StrCat("--client_ca ", options_.client_ca_file,
                                                       ": a certificate could not be used"));
      }
    }
    material->client_ca_pem = ToPem(cas);
  }
  loaded->material = std::move(material);
  return loaded;
}

absl::Status TlsFiles::Reload() {
  // One reload at a time (SIGHUP and the poller), so that an older read never replaces a
  // newer one.
  absl::MutexLock reloading(&reload_mu_);
  absl::StatusOr<std::shared_ptr<Loaded>> read = Read();
  if (!read.ok()) return read.status();
  std::shared_ptr<Loaded> next = *std::move(read);
  absl::MutexLock lock(&mu_);
  const Material& now = *loaded_->material;
  Material* material = next->material.get();
  const bool same = material->cert_chain_pem == now.cert_chain_pem &&
                    material->key_pem == now.key_pem &&
                    material->client_ca_pem == now.client_ca_pem;
  material->generation = same ? now.generation : now.generation + 1;
  if (!same) Log(absl::StrCat("certificates reloaded (generation ", material->generation, ")"));
  loaded_ = std::move(next);
  return absl::OkStatus();
}

std::shared_ptr<const TlsFiles::Material> TlsFiles::Current() const {
  absl::MutexLock lock(&mu_);
  return loaded_->material;
}

void TlsFiles::Poll() {
  std::string pending, failed;
  absl::MutexLock lock(&mu_);
  while (!mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.poll_interval)) {
    const std::string loaded = loaded_->signature;
    mu_.Unlock();
    const std::string now = FilesSignature();
    if (now == loaded || now == failed) {
      pending.clear();
    } else if (now != pending) {
      pending = now;  // changed: reloaded once it has stayed so for an interval
    } else {
      pending.clear();
      if (absl::Status status = Reload(); !status.ok()) {
        failed = now;
        Log(
            absl::StrCat("the changed files were not loaded, the current certificates stay in "
                         "use: ",
                         status.message()));
      } else {
        failed.clear();
      }
    }
    mu_.Lock();
  }
}

std::shared_ptr<grpc::ServerCredentials> TlsFiles::GrpcCredentials() {
  auto port = std::make_unique<GrpcPort>();
  port->files = this;
  grpc_ssl_server_credentials_options* options =
      grpc_ssl_server_credentials_create_options_using_config_fetcher(
          requests_client_certificates() ? GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_BUT_DONT_VERIFY
                                         : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
          &FetchGrpcConfig, port.get());
  grpc_server_credentials* credentials = grpc_ssl_server_credentials_create_with_options(options);
  {
    absl::MutexLock lock(&mu_);
    grpc_ports_.push_back(std::move(port));
  }
  return std::make_shared<FetchingServerCredentials>(credentials);
}

absl::StatusOr<std::vector<std::string>> TlsFiles::VerifyClientCertificate(
    absl::string_view pem_chain) const {
  std::shared_ptr<const Loaded> loaded;
  {
    absl::MutexLock lock(&mu_);
    loaded = loaded_;
  }
  if (loaded->client_store == nullptr) {
    return Untrusted(
        "this server takes no client certificates (it has no client CA): authenticate with a "
        "token");
  }
  std::vector<X509Ptr> chain = ParseCertificates(pem_chain);
  if (chain.empty()) return Untrusted("the client certificate could not be read");
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (ctx == nullptr || X509_STORE_CTX_init(ctx.get(), loaded->client_store.get(),
                                            chain.front().get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return Untrusted("the client certificate could not be checked");
  }
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  const bool ok = X509_verify_cert(ctx.get()) == 1;
  const int error = X509_STORE_CTX_get_error(ctx.get());
  const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
  ERR_clear_error();
  if (!ok) {
    const std::string whose =
        depth == 0 ? "the client certificate" : "a CA certificate of the client's chain";
    X509* failed = X509_STORE_CTX_get_current_cert(ctx.get());
    switch (error) {
      case X509_V_ERR_CERT_HAS_EXPIRED:
        return Error(
            absl::StatusCode::kUnauthenticated, v1::reason::kCertificateExpired,
            absl::StrCat(whose, " expired on ",
                         TimeText(failed ? X509_get0_notAfter(failed) : nullptr), ": renew it"));
      case X509_V_ERR_CERT_NOT_YET_VALID:
        return Error(absl::StatusCode::kUnauthenticated, v1::reason::kCertificateExpired,
                     absl::StrCat(whose, " is not valid before ",
                                  TimeText(failed ? X509_get0_notBefore(failed) : nullptr),
                                  ": check the clocks, or wait"));
      case X509_V_ERR_INVALID_PURPOSE:
        return Untrusted(absl::StrCat(whose,
                                      " is not issued for TLS client authentication "
                                      "(extendedKeyUsage clientAuth)"));
      default:
        return Untrusted(
            "the client certificate is not issued by a CA this server trusts for clients: "
            "use one issued by the CA d06 was given");
    }
  }
  std::vector<std::string> subjects;
  X509* leaf = chain.front().get();
  if (auto* names = static_cast<GENERAL_NAMES*>(
          X509_get_ext_d2i(leaf, NID_subject_alt_name, nullptr, nullptr))) {
    for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
      if (name->type == GEN_URI) {
        if (auto text = AsnText(name->d.uniformResourceIdentifier)) {
          subjects.push_back(absl::StrCat("URI:", *text));
        }
      } else if (name->type == GEN_DNS) {
        if (auto text = AsnText(name->d.dNSName)) subjects.push_back(absl::StrCat("DNS:", *text));
      }
    }
    GENERAL_NAMES_free(names);
  }
  const X509_NAME* subject = X509_get_subject_name(leaf);
  if (const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); index >= 0) {
    ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
    unsigned char* utf8 = nullptr;
    const int size = ASN1_STRING_to_UTF8(&utf8, value);
    if (size >= 0) {
      std::string cn(reinterpret_cast<char*>(utf8), static_cast<size_t>(size));
      if (cn.find('\0') == std::string::npos) subjects.push_back(absl::StrCat("CN:", cn));
      OPENSSL_free(utf8);
    }
  }
  ERR_clear_error();
  return subjects;
}

}  // namespace d06::api
