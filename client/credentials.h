// How d06::Client proves who it is and protects the connection (ClientOptions in
// client/client.h): the channel credentials (TLS with the CA, and mutual TLS with a
// client certificate; or plaintext to a loopback address) and a bearer token attached
// to every call as a gRPC call credential (grpc::MetadataCredentialsPlugin), read from
// the options or from a file that is read again when it changes.
//
// Client::Connect uses these; they are public for tests and for programs that build
// their own channels.
//
// Thread-safe: TokenSource and the credentials may be used by any number of calls at once.
#ifndef D06_CLIENT_CREDENTIALS_H_
#define D06_CLIENT_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace d06 {

struct ClientOptions;

namespace client {

// The bearer token of every call: a fixed string, or the contents of a file (surrounding
// whitespace, e.g. the newline an editor adds, ignored). A file is checked with stat(2)
// on every call and read again only when its modification time, size or inode changed,
// so a token rotated in place (or by renaming a new file over it) is used from the next
// call on, without restarting the program.
class TokenSource {
 public:
  static std::shared_ptr<TokenSource> Fixed(std::string token);
  static std::shared_ptr<TokenSource> File(std::string path);

  TokenSource(const TokenSource&) = delete;
  TokenSource& operator=(const TokenSource&) = delete;

  // The token now. Errors: FAILED_PRECONDITION when the file cannot be read or holds no
  // token; INVALID_ARGUMENT when the token is not one line of printable ASCII without
  // spaces (it could not travel as gRPC metadata). The message names the file, never
  // the token.
  absl::StatusOr<std::string> Current() const;

  // Whether tokens come from a file (reading it may block: gRPC then calls the plugin
  // off the call's thread).
  bool from_file() const { return !path_.empty(); }
  const std::string& path() const { return path_; }

 private:
  TokenSource() = default;

  std::string path_;  // Empty: fixed_ is the token.
  std::string fixed_;
  mutable absl::Mutex mu_;
  // What the file held when last read, and its identity then.
  mutable std::string cached_ ABSL_GUARDED_BY(mu_);
  mutable bool cached_valid_ ABSL_GUARDED_BY(mu_) = false;
  mutable struct timespec mtime_ ABSL_GUARDED_BY(mu_) = {};
  mutable off_t size_ ABSL_GUARDED_BY(mu_) = -1;
  mutable ino_t inode_ ABSL_GUARDED_BY(mu_) = 0;
};

// A call credential that sends "authorization: Bearer <token>" on every call, the token
// from `source`. `min_security_level`: GRPC_PRIVACY_AND_INTEGRITY (the default) lets gRPC
// send it only over TLS; GRPC_SECURITY_NONE also over grpc::experimental::
// LocalCredentials(LOCAL_TCP), i.e. plaintext to a loopback address (development).
// When the source fails the call fails before it is sent (UNAVAILABLE from gRPC, with
// the source's message), and nothing is sent without a token.
std::shared_ptr<grpc::CallCredentials> BearerTokenCredentials(
    std::shared_ptr<const TokenSource> source,
    grpc_security_level min_security_level = GRPC_PRIVACY_AND_INTEGRITY);

// Whether a gRPC target names this machine: "localhost", 127.0.0.0/8 or ::1, with or
// without a port, a "dns:///", "ipv4:" or "ipv6:" scheme; and "unix:" sockets.
bool IsLoopbackTarget(absl::string_view target);

// PEM text as given, or read from the file it names: text containing "-----BEGIN" is
// taken as PEM, anything else as a path. `what` names the option in errors
// (FAILED_PRECONDITION: unreadable file; INVALID_ARGUMENT: no PEM in it).
absl::StatusOr<std::string> ReadPem(absl::string_view text_or_path, absl::string_view what);

// The channel credentials ClientOptions asks for (see its comments): options.credentials
// if set; TLS when `tls` or any tls_* option is set; else plaintext: local credentials
// to a loopback target when a token is to be sent (gRPC sends call credentials only
// over a channel with a security level), insecure ones otherwise. Errors:
// INVALID_ARGUMENT (a certificate without its key, a token and a token file, a token
// over plaintext to a non-loopback target), FAILED_PRECONDITION (an unreadable file).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options);

// The "authorization" metadata value every call carries as it is ("Bearer d06_..."),
// or empty when the token goes by call credentials instead: a fixed, well-formed
// options.token over a channel that ChannelCredentialsFor made itself (TLS, or local
// credentials to loopback), which already is what gRPC would require of call
// credentials. Plain metadata spares each call gRPC's credential plugin.
std::string FixedAuthorizationFor(const ClientOptions& options);

// The call credentials for options.token / options.token_file (null when neither, or
// when FixedAuthorizationFor sends the token), at the security level the channel of
// ChannelCredentialsFor(options) has.
std::shared_ptr<grpc::CallCredentials> CallCredentialsFor(const ClientOptions& options);

}  // namespace client
}  // namespace d06

#endif  // D06_CLIENT_CREDENTIALS_H_
