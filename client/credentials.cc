#include "client/credentials.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/client.h"
#include "d06/v1/api_names.h"

namespace d06::client {
namespace {

// A token travels as an HTTP/2 header value: printable ASCII, and (as every token d06
// issues) no spaces.
absl::Status CheckToken(absl::string_view token, absl::string_view source) {
  if (token.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(source, " holds no token"));
  }
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; })) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": a token is one word of printable ASCII (d06 tokens start with \"",
                     v1::kTokenPrefix, "\")"));
  }
  return absl::OkStatus();
}

class BearerTokenPlugin final : public grpc::MetadataCredentialsPlugin {
 public:
  explicit BearerTokenPlugin(std::shared_ptr<const TokenSource> source)
      : source_(std::move(source)) {}

  bool IsBlocking() const override { return source_->from_file(); }

  grpc::Status GetMetadata(grpc::string_ref /*service_url*/, grpc::string_ref /*method_name*/,
                           const grpc::AuthContext& /*channel_auth_context*/,
                           std::multimap<grpc::string, grpc::string>* metadata) override {
    absl::StatusOr<std::string> token = source_->Current();
    if (!token.ok()) {
      return grpc::Status(static_cast<grpc::StatusCode>(token.status().code()),
                          std::string(token.status().message()));
    }
    metadata->emplace(v1::kAuthorizationMetadataKey, absl::StrCat(v1::kBearerPrefix, *token));
    return grpc::Status::OK;
  }

  // Never the token: this may be logged.
  grpc::string DebugString() override {
    return source_->from_file() ? absl::StrCat("d06 bearer token from ", source_->path())
                                : "d06 bearer token";
  }

 private:
  const std::shared_ptr<const TokenSource> source_;
};

// "dns:///host:port", "ipv4:1.2.3.4:5", "host:port", "[::1]:5" -> the host.
std::string TargetHost(absl::string_view target) {
  absl::ConsumePrefix(&target, "dns:");
  absl::ConsumePrefix(&target, "ipv4:");
  absl::ConsumePrefix(&target, "ipv6:");
  if (absl::ConsumePrefix(&target, "//")) {
    // dns://authority/host: skip the (DNS server) authority.
    const size_t slash = target.find('/');
    target = slash == absl::string_view::npos ? target : target.substr(slash + 1);
  }
  if (absl::ConsumePrefix(&target, "[")) {
    return std::string(target.substr(0, target.find(']')));
  }
  // An IPv6 address without brackets has several colons and no port.
  if (std::count(target.begin(), target.end(), ':') > 1) return std::string(target);
  return std::string(target.substr(0, target.find(':')));
}

}  // namespace

std::shared_ptr<TokenSource> TokenSource::Fixed(std::string token) {
  std::shared_ptr<TokenSource> source(new TokenSource());
  source->fixed_ = std::move(token);
  return source;
}

std::shared_ptr<TokenSource> TokenSource::File(std::string path) {
  std::shared_ptr<TokenSource> source(new TokenSource());
  source->path_ = std::move(path);
  return source;
}

absl::StatusOr<std::string> TokenSource::Current() const {
  if (path_.empty()) {
    if (absl::Status s = CheckToken(fixed_, "the token"); !s.ok()) return s;
    return fixed_;
  }
  const std::string what = absl::StrCat("token file ", path_);
  struct stat st = {};
  if (stat(path_.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": cannot read it"));
  }
  absl::MutexLock lock(&mu_);
  if (!cached_valid_ || st.st_mtim.tv_sec != mtime_.tv_sec ||
      st.st_mtim.tv_nsec != mtime_.tv_nsec || st.st_size != size_ || st.st_ino != inode_) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return absl::FailedPreconditionError(absl::StrCat(what, ": cannot read it"));
    std::string text(std::istreambuf_iterator<char>(in), {});
    // Not cached when it fails: a file being rewritten is read again on the next call.
    const std::string token(absl::StripAsciiWhitespace(text));
    if (absl::Status s = CheckToken(token, what); !s.ok()) return s;
    cached_ = token;
    cached_valid_ = true;
    mtime_ = st.st_mtim;
    size_ = st.st_size;
    inode_ = st.st_ino;
  }
  return cached_;
}

std::shared_ptr<grpc::CallCredentials> BearerTokenCredentials(
    std::shared_ptr<const TokenSource> source, grpc_security_level min_security_level) {
  return grpc::experimental::MetadataCredentialsFromPlugin(
      std::make_unique<BearerTokenPlugin>(std::move(source)), min_security_level);
}

bool IsLoopbackTarget(absl::string_view target) {
  if (absl::StartsWith(target, "unix:") || absl::StartsWith(target, "unix-abstract:")) {
    return true;
  }
  const std::string host = absl::AsciiStrToLower(TargetHost(target));
  if (host == "localhost" || host == "::1" || absl::EndsWith(host, ".localhost")) return true;
  // 127.0.0.0/8, dotted quad only.
  std::vector<absl::string_view> parts = absl::StrSplit(host, '.');
  if (parts.size() != 4 || parts[0] != "127") return false;
  for (absl::string_view part : parts) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 0 || value > 255) return false;
  }
  return true;
}

absl::StatusOr<std::string> ReadPem(absl::string_view text_or_path, absl::string_view what) {
  if (absl::StrContains(text_or_path, "-----BEGIN")) return std::string(text_or_path);
  std::ifstream in(std::string(text_or_path), std::ios::binary);
  if (!in) {
    return absl::FailedPreconditionError(absl::StrCat(what, ": cannot read ", text_or_path));
  }
  std::string pem(std::istreambuf_iterator<char>(in), {});
  if (!absl::StrContains(pem, "-----BEGIN")) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", text_or_path, " holds no PEM (-----BEGIN ...)"));
  }
  return pem;
}

namespace {

bool WantsTls(const ClientOptions& options) {
  return options.tls || !options.tls_ca.empty() || !options.tls_cert.empty() ||
         !options.tls_key.empty();
}

bool HasToken(const ClientOptions& options) {
  return !options.token.empty() || !options.token_file.empty();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentialsFor(
    const ClientOptions& options) {
  if (!options.token.empty() && !options.token_file.empty()) {
    return absl::InvalidArgumentError("give a token or a token_file, not both");
  }
  if (options.credentials != nullptr) return options.credentials;
  if (WantsTls(options)) {
    if (options.tls_cert.empty() != options.tls_key.empty()) {
      return absl::InvalidArgumentError(
          "mutual TLS needs both tls_cert and tls_key (the client's certificate and its key)");
    }
    grpc::SslCredentialsOptions ssl;
    if (!options.tls_ca.empty()) {
      absl::StatusOr<std::string> ca = ReadPem(options.tls_ca, "tls_ca");
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *std::move(ca);
    }
    if (!options.tls_cert.empty()) {
      absl::StatusOr<std::string> cert = ReadPem(options.tls_cert, "tls_cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem(options.tls_key, "tls_key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    return grpc::SslCredentials(ssl);
  }
  if (!HasToken(options)) return grpc::InsecureChannelCredentials();
  if (!IsLoopbackTarget(options.target)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a token is sent in plaintext only to a loopback address, not to ",
                     options.target, ": use TLS (tls_ca, or tls for the system's CAs)"));
  }
  // gRPC attaches call credentials only to a channel with a security level; local
  // credentials give a plaintext loopback connection one (GRPC_SECURITY_NONE) and
  // refuse to connect anywhere but loopback.
  return grpc::experimental::LocalCredentials(absl::StartsWith(options.target, "unix") ? UDS
                                                                                       : LOCAL_TCP);
}

std::string FixedAuthorizationFor(const ClientOptions& options) {
  if (options.token.empty() || !options.token_file.empty() || options.credentials != nullptr ||
      !CheckToken(options.token, "the token").ok()) {
    return "";
  }
  return absl::StrCat(v1::kBearerPrefix, options.token);
}

std::shared_ptr<grpc::CallCredentials> CallCredentialsFor(const ClientOptions& options) {
  if (!HasToken(options) || !FixedAuthorizationFor(options).empty()) return nullptr;
  std::shared_ptr<const TokenSource> source = options.token_file.empty()
                                                  ? TokenSource::Fixed(options.token)
                                                  : TokenSource::File(options.token_file);
  // Over TLS (or caller-given credentials) gRPC's default: privacy and integrity. Over
  // local credentials, which a plaintext loopback channel has, none.
  const bool local = options.credentials == nullptr && !WantsTls(options);
  return BearerTokenCredentials(std::move(source),
                                local ? GRPC_SECURITY_NONE : GRPC_PRIVACY_AND_INTEGRITY);
}

}  // namespace d06::client
