// d06::api::TlsFiles: the server's TLS certificate chain and key, and the CA that signs
// client certificates, read from PEM files, checked, kept current when the files change,
// and handed to both transports: gRPC (GrpcCredentials) and HTTP (Current, read by
// server/api/http_server.cc for GnuTLS).
//
// - Load checks every file: each parses, the key is not encrypted, the key matches the
//   first certificate of the chain; INVALID_ARGUMENT otherwise, naming the flag and the
//   file ("--tls_key /etc/d06/key.pem: not a PEM private key").
// - Reload() reads the files again; when any of them is wrong, the ones in use stay in use
//   and Reload returns why. A thread also polls the files (inode, size, modification and
//   change times) every `poll_interval` and reloads once a change has settled for one
//   interval, so that rotation by writing or renaming new files takes effect within about
//   two intervals without a signal. A reload that fails is logged once per change.
// - Each handshake uses what is current when it starts: connections already open keep
//   the certificate they were set up with.
// - Client certificates: with a client CA, both transports ask the client for a
//   certificate during the handshake but do not judge it there (the handshake proves only
//   that the client holds its key); VerifyClientCertificate judges it afterwards, so that
//   a certificate of another CA or an expired one gets an answer saying so
//   (UNAUTHENTICATED, CERTIFICATE_UNTRUSTED / CERTIFICATE_EXPIRED) instead of a failed
//   handshake. Without a client CA no client certificate is asked for.
//
// Thread-safe. Must outlive the gRPC server and HTTP server that use it (gRPC calls back
// into it on every new connection).
//
// Example:
//   ASSIGN_OR_RETURN(std::shared_ptr<TlsFiles> tls,
//                    TlsFiles::Load({"/etc/d06/cert.pem", "/etc/d06/key.pem", "/etc/d06/ca.pem"}));
//   builder.AddListeningPort(address, tls->GrpcCredentials(), &port);
//   absl::StatusOr<std::vector<std::string>> subjects =
//       tls->VerifyClientCertificate(metadata.client_certificate);
//   // {"URI:spiffe://d06.test/system/h40", "CN:he-thong-h40"}
#ifndef D06_SERVER_API_TLS_H_
#define D06_SERVER_API_TLS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace grpc {
class ServerCredentials;
}  // namespace grpc

namespace d06::api {

struct TlsFileOptions {
  // PEM files: the server's certificate followed by its intermediates, and its private
  // key (unencrypted). Required.
  std::string cert_file;
  std::string key_file;
  // PEM file of the CA certificates that sign client certificates; empty: clients are not
  // asked for one, and VerifyClientCertificate refuses every certificate.
  std::string client_ca_file;
  // How often the files are checked for changes; zero: never (Reload() only).
  absl::Duration poll_interval = absl::Seconds(1);
};

class TlsFiles {
 public:
  // What the files held when last loaded successfully.
  struct Material {
    std::string cert_chain_pem;  // the server's certificate first, then its chain
    std::string key_pem;
    std::string client_ca_pem;  // empty: no client CA
    // When the server's certificate (the first of the chain) expires (for metrics).
    absl::Time not_after = absl::InfinitePast();
    // 1 for the first load, one more after each successful reload that changed something.
    uint64_t generation = 0;
  };

  // Reads and checks the files (see above); starts polling them.
  static absl::StatusOr<std::shared_ptr<TlsFiles>> Load(const TlsFileOptions& options);
  ~TlsFiles();
  TlsFiles(const TlsFiles&) = delete;
  TlsFiles& operator=(const TlsFiles&) = delete;

  // Reads the files again; on an error the current material stays in use and the error
  // (INVALID_ARGUMENT naming the flag and file) is returned.
  absl::Status Reload();

  // The material in use.
  std::shared_ptr<const Material> Current() const;

  // Whether clients are asked for a certificate (a client CA file was given).
  bool requests_client_certificates() const { return !options_.client_ca_file.empty(); }

  // Credentials for grpc::ServerBuilder::AddListeningPort: TLS with the current
  // certificate, picked up again by every new connection after a reload. One call per
  // port.
  std::shared_ptr<grpc::ServerCredentials> GrpcCredentials();

  // Verifies `pem_chain` (the client's certificate first, then any intermediates it sent)
  // against the current client CA, now, for TLS client authentication. Returns the
  // subjects the certificate answers to: "URI:<uri>" and "DNS:<name>" for each
  // subjectAltName of those kinds, in order, then "CN:<common name>" of its subject when
  // it has one. Errors, all UNAUTHENTICATED: CERTIFICATE_EXPIRED (expired, or not yet
  // valid), CERTIFICATE_UNTRUSTED (not signed by the client CA, a broken chain, not a
  // certificate, no client CA configured).
  absl::StatusOr<std::vector<std::string>> VerifyClientCertificate(
      absl::string_view pem_chain) const;

  // Opaque parsed state (OpenSSL objects); defined in tls.cc.
  struct Loaded;
  struct GrpcPort;

 private:
  explicit TlsFiles(const TlsFileOptions& options);
  // Reads and checks every file.
  absl::StatusOr<std::shared_ptr<Loaded>> Read() const;
  void Poll();
  std::string FilesSignature() const;

  const TlsFileOptions options_;
  absl::Mutex reload_mu_ ABSL_ACQUIRED_BEFORE(mu_);
  mutable absl::Mutex mu_;
  std::shared_ptr<const Loaded> loaded_ ABSL_GUARDED_BY(mu_);
  // One per GrpcCredentials() call; gRPC's callback reads them until the server is gone.
  std::vector<std::unique_ptr<GrpcPort>> grpc_ports_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread poller_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_TLS_H_
