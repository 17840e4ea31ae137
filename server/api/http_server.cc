#include "server/api/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "server/api/host_port.h"
#include "server/api/tls.h"

namespace d06::api {

bool HttpRequest::has_header(absl::string_view name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return absl::EqualsIgnoreCase(h.first, name); });
}

std::string HttpRequest::header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

bool HttpRequest::has_param(absl::string_view name) const {
  return std::any_of(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
}

std::string HttpRequest::param(absl::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return "";
}

void HttpResponse::set_header(absl::string_view name, absl::string_view value) {
  for (auto& [key, old] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) {
      old = std::string(value);
      return;
    }
  }
  headers.emplace_back(std::string(name), std::string(value));
}

namespace {

// Where a connection is, and so which of its deadlines applies.
enum class Phase {
  kIdle,     // no request in progress (idle_timeout)
  kReading,  // a request's first line has arrived, not all of it yet (read_timeout)
  kRunning,  // a worker has the request, or a streamed body waits for its maker (no
             // deadline here: the face bounds its calls, the export its stalls)
  kWriting,  // the answer is being sent (write_timeout)
};

// The server's certificate chain and key as GnuTLS takes them from the certificate
// callback, built once per generation of TlsFiles' material. GnuTLS uses them during a
// handshake without copying them: each connection keeps the one it was given.
class GnutlsIdentity {
 public:
  static constexpr unsigned int kMaxChain = 16;

  // The identity of `material`, or null when GnuTLS cannot read it (logged).
  static std::shared_ptr<const GnutlsIdentity> Of(const TlsFiles::Material& material);
  ~GnutlsIdentity() {
    for (unsigned int i = 0; i < count_; ++i) gnutls_pcert_deinit(&certs_[i]);
    if (key_ != nullptr) gnutls_privkey_deinit(key_);
  }
  GnutlsIdentity(const GnutlsIdentity&) = delete;
  GnutlsIdentity& operator=(const GnutlsIdentity&) = delete;

  uint64_t generation() const { return generation_; }
  // For gnutls_certificate_retrieve_function2, which takes non-const pointers.
  gnutls_pcert_st* certs() const { return const_cast<gnutls_pcert_st*>(certs_); }
  unsigned int count() const { return count_; }
  gnutls_privkey_t key() const { return key_; }

 private:
  GnutlsIdentity() = default;
  uint64_t generation_ = 0;
  gnutls_pcert_st certs_[kMaxChain] = {};
  unsigned int count_ = 0;
  gnutls_privkey_t key_ = nullptr;
};

std::shared_ptr<const GnutlsIdentity> GnutlsIdentity::Of(const TlsFiles::Material& material) {
  std::shared_ptr<GnutlsIdentity> identity(new GnutlsIdentity);
  identity->generation_ = material.generation;
  gnutls_datum_t chain = {
      reinterpret_cast<unsigned char*>(const_cast<char*>(material.cert_chain_pem.data())),
      static_cast<unsigned int>(material.cert_chain_pem.size())};
  unsigned int count = kMaxChain;
  int error =
      gnutls_pcert_list_import_x509_raw(identity->certs_, &count, &chain, GNUTLS_X509_FMT_PEM, 0);
  if (error < 0) {
    log::Error(absl::StrCat("http: GnuTLS cannot use the certificate chain (at most ", kMaxChain,
                            " certificates): ", gnutls_strerror(error)));
    return nullptr;
  }
  identity->count_ = count;
  gnutls_datum_t key = {
      reinterpret_cast<unsigned char*>(const_cast<char*>(material.key_pem.data())),
      static_cast<unsigned int>(material.key_pem.size())};
  error = gnutls_privkey_init(&identity->key_);
  if (error >= 0) {
    error = gnutls_privkey_import_x509_raw(identity->key_, &key, GNUTLS_X509_FMT_PEM, nullptr, 0);
  }
  if (error < 0) {
    log::Error(absl::StrCat("http: GnuTLS cannot use the private key: ", gnutls_strerror(error)));
    return nullptr;
  }
  return identity;
}

// The client's address as gRPC writes peers: "ipv4:10.0.0.5:43122", "ipv6:[::1]:43122"
// (an IPv4-mapped IPv6 address as IPv4, as gRPC does).
std::string PeerOf(const sockaddr* address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address == nullptr) return "";
  if (address->sa_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return absl::StrCat("ipv4:", text, ":", ntohs(v4->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(address);
    if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
      inet_ntop(AF_INET, &v6->sin6_addr.s6_addr[12], text, sizeof text);
      return absl::StrCat("ipv4:", text, ":", ntohs(v6->sin6_port));
    }
    inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return absl::StrCat("ipv6:[", text, "]:", ntohs(v6->sin6_port));
  }
  return "";
}

// The certificates the client presented in the handshake of `session`, as PEM, leaf
// first; empty when it presented none.
std::string PeerCertificatesPem(gnutls_session_t session) {
  unsigned int count = 0;
  const gnutls_datum_t* certs = gnutls_certificate_get_peers(session, &count);
  std::string pem;
  for (unsigned int i = 0; certs != nullptr && i < count; ++i) {
    gnutls_datum_t out = {};
    if (gnutls_pem_base64_encode2("CERTIFICATE", &certs[i], &out) < 0) return "";
    pem.append(reinterpret_cast<const char*>(out.data), out.size);
    gnutls_free(out.data);
  }
  return pem;
}

// A connection of libmicrohttpd's (its socket context).
struct Connection {
  int fd = -1;
  Phase phase = Phase::kIdle;
  std::chrono::steady_clock::time_point deadline;
  bool cut = false;  // shut down past its deadline
  // Used on the event thread only:
  void* server = nullptr;  // the HttpServer::Impl
  std::string peer;        // PeerOf the client's address
  // Over TLS: the identity its handshake was given (kept while GnuTLS may use it), and
  // the client's certificates once read after the handshake.
  std::shared_ptr<const GnutlsIdentity> identity;
  bool client_certificate_read = false;
  std::string client_certificate;
};

// One request, from its header to its answer (libmicrohttpd's per-request context).
// A worker uses it while the connection is suspended; libmicrohttpd neither closes nor
// times out a suspended connection, so it outlives the worker's use.
struct Exchange {
  HttpRequest request;
  // Set when the body cannot be kept (413: larger than max_request_bytes; 503: beyond
  // max_buffered_bytes): the rest is read and dropped, then this is the answer.
  int refusal = 0;
  std::string refusal_why;
  size_t buffered = 0;  // the body's capacity, counted in Impl::buffered_
  bool dispatched = false;
  std::mutex mu;
  bool answered = false;  // guarded by mu
  HttpResponse response;  // guarded by mu
};

// `threads` threads running jobs from a queue of at most `max_queued`.
class WorkerPool {
 public:
  WorkerPool(int threads, int max_queued) : max_queued_(std::max(1, max_queued)) {
    for (int i = 0; i < std::max(1, threads); ++i) {
      threads_.emplace_back([this] { Work(); });
    }
  }
  ~WorkerPool() { Stop(); }

  // False when the queue is full or the pool stopped.
  bool TrySubmit(std::function<void()> job) {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || jobs_.size() >= static_cast<size_t>(max_queued_)) return false;
    jobs_.push_back(std::move(job));
    wake_.notify_one();
    return true;
  }

  // Runs the jobs queued, then joins the threads. Idempotent.
  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      wake_.notify_all();
    }
    for (std::thread& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  void Work() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      std::function<void()> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job();
      lock.lock();
    }
  }

  const int max_queued_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Decodes %XX and "+" (a space, as in a form's query) in place; libmicrohttpd's own
// decoder leaves "+" alone.
size_t Unescape(void*, MHD_Connection*, char* s) {
  auto hex = [](char c) {
    return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
  };
  char* out = s;
  for (const char* in = s; *in != '\0';) {
    if (*in == '+') {
      *out++ = ' ';
      ++in;
    } else if (*in == '%' && absl::ascii_isxdigit(in[1]) && absl::ascii_isxdigit(in[2])) {
      *out++ = static_cast<char>(hex(in[1]) * 16 + hex(in[2]));
      in += 3;
    } else {
      *out++ = *in++;
    }
  }
  *out = '\0';
  return static_cast<size_t>(out - s);
}

MHD_Result CollectPair(void* cls, MHD_ValueKind, const char* key, size_t key_size,
                       const char* value, size_t value_size) {
  static_cast<std::vector<std::pair<std::string, std::string>>*>(cls)->emplace_back(
      std::string(key, key_size), value == nullptr ? "" : std::string(value, value_size));
  return MHD_YES;
}

// libmicrohttpd's error log to d06d's, at most one line a second: a hostile client must
// not be able to flood the log.
void Log(void*, const char* format, va_list args) {
  static std::mutex mu;
  static std::chrono::steady_clock::time_point last;
  static int dropped = 0;
  char line[512];
  vsnprintf(line, sizeof line, format, args);
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  if (last.time_since_epoch().count() != 0 && now - last < std::chrono::seconds(1)) {
    ++dropped;
    return;
  }
  last = now;
  std::string text = absl::StrCat("http: ", absl::StripTrailingAsciiWhitespace(line));
  if (dropped > 0) absl::StrAppend(&text, " (", dropped, " more messages not shown)");
  dropped = 0;
  log::Warning(text);
}

// A listening socket on `address` (SO_REUSEADDR only), or why there cannot be one.
absl::StatusOr<int> Listen(const std::string& address) {
  std::string host, port;
  if (!SplitHostPort(address, &host, &port)) return NotAHostPort(address);
  addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) {
    return WhyCannotListen(address, "cannot resolve it");
  }
  int fd = -1, error = 0;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      error = errno;
      continue;
    }
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (bind(fd, a->ai_addr, a->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
      error = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) return WhyCannotListen(address, strerror(error));
  return fd;
}

int PortOf(int fd) {
  sockaddr_storage bound = {};
  socklen_t size = sizeof(bound);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &size) != 0) return 0;
  if (bound.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
}

unsigned int CeilSeconds(absl::Duration d) {
  return static_cast<unsigned int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)))));
}

}  // namespace

HttpBodyStream::Appended HttpBodyStream::Append(std::string data, absl::Time deadline) {
  absl::ReleasableMutexLock lock(&mu_);
  auto room = [this, size = data.size()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return finished_ || detached_ || HasRoom(size);
  };
  if (!mu_.AwaitWithDeadline(absl::Condition(&room), deadline)) return Appended::kTimedOut;
  if (finished_ || detached_) return Appended::kGone;
  if (taken_ > 0 && taken_ >= waiting_.size() / 2) {  // keep the buffer from growing
    waiting_.erase(0, taken_);
    taken_ = 0;
  }
  waiting_ += data;
  std::function<void()> resume = TakeResume();
  lock.Release();
  if (resume != nullptr) resume();
  return Appended::kAppended;
}

void HttpBodyStream::Finish(bool complete) {
  std::function<void()> resume;
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    finished_ = true;
    complete_ = complete;
    resume = TakeResume();
  }
  if (resume != nullptr) resume();
}

bool HttpBodyStream::gone() const {
  absl::MutexLock lock(&mu_);
  return finished_ || detached_;
}

void HttpBodyStream::Attach(std::function<void()> pause, std::function<void()> resume) {
  absl::MutexLock lock(&mu_);
  pause_ = std::move(pause);
  resume_ = std::move(resume);
}

HttpBodyStream::Took HttpBodyStream::Take(char* out, size_t max, size_t* size) {
  absl::MutexLock lock(&mu_);
  *size = 0;
  if (finished_ && !complete_) return Took::kBroken;
  if (taken_ < waiting_.size()) {
    *size = std::min(max, waiting_.size() - taken_);
    memcpy(out, waiting_.data() + taken_, *size);
    taken_ += *size;
    if (taken_ == waiting_.size()) {
      waiting_.clear();
      taken_ = 0;
    }
    return Took::kData;
  }
  if (finished_) return Took::kEnd;
  if (pause_ != nullptr && !paused_) {
    paused_ = true;
    pause_();
  }
  return Took::kNothingYet;
}

void HttpBodyStream::Detach() {
  absl::MutexLock lock(&mu_);
  detached_ = true;
  pause_ = resume_ = nullptr;
  paused_ = false;
}

bool HttpBodyStream::HasRoom(size_t size) const {
  const size_t waiting = waiting_.size() - taken_;
  return waiting == 0 || waiting + size <= max_waiting_;
}

std::function<void()> HttpBodyStream::TakeResume() {
  if (!paused_) return nullptr;
  paused_ = false;
  return resume_;
}

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, Handler handler, Refuse refuse)
      : options_(options),
        handler_(std::move(handler)),
        refuse_(std::move(refuse)),
        pool_(options.threads, options.max_queued) {}
  ~Impl() { Shutdown(); }

  absl::Status Start(const std::string& address) {
    absl::StatusOr<int> fd = Listen(address);
    if (!fd.ok()) return fd.status();
    port_ = PortOf(*fd);
    // The backstop: libmicrohttpd's own timeout is one of inactivity, after the longest
    // of the deadlines the reaper enforces.
    const unsigned int inactivity =
        CeilSeconds(
            std::max({options_.idle_timeout, options_.read_timeout, options_.write_timeout})) +
        1;
    // Its own connection limit is kept above ours: OnAccept refuses first, closing a
    // connection beyond max_connections as soon as it is accepted, so that how
    // connections are refused does not depend on what libmicrohttpd does at its limit.
    const unsigned int limit =
        static_cast<unsigned int>(std::max(1, options_.max_connections)) + 64;
    // The memory of a connection holds its request's header and the answer's, and is the
    // read buffer of the body: a header above max_header_bytes does not fit.
    const size_t memory = options_.max_header_bytes + (size_t{16} << 10);
    // TLS: the certificate from the callback (so that a reloaded one is used by the next
    // handshake), a client certificate asked for (never required, nor verified by GnuTLS)
    // when there is a client CA, TLS 1.2 and 1.3 only.
    unsigned int flags =
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    std::vector<MHD_OptionItem> tls_options;
    if (options_.tls != nullptr) {
      flags |= MHD_USE_TLS;
      if (std::shared_ptr<const GnutlsIdentity> identity = Identity(); identity == nullptr) {
        close(*fd);
        return absl::InvalidArgumentError(
            "GnuTLS cannot use the TLS certificate or key for HTTPS (see the log)");
      }
      tls_options.push_back(
          {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, reinterpret_cast<void*>(&Impl::RetrieveCertificate)});
      tls_options.push_back({MHD_OPTION_HTTPS_PRIORITIES, 0, const_cast<char*>(kPriorities)});
      if (options_.tls->requests_client_certificates()) {
        // libmicrohttpd then sets GNUTLS_CERT_REQUEST on every session: the CA's name is
        // sent to the client as a hint, and the certificate it presents is not verified
        // during the handshake. Read once: a reloaded CA changes the hint only after a
        // restart, what is verified (TlsFiles) at once.
        trust_pem_ = options_.tls->Current()->client_ca_pem;
        tls_options.push_back({MHD_OPTION_HTTPS_MEM_TRUST, 0, trust_pem_.data()});
      }
    }
    tls_options.push_back({MHD_OPTION_END, 0, nullptr});
    daemon_ = MHD_start_daemon(flags, 0, &Impl::OnAccept, this, &Impl::OnRequest,
                               this,  //
                                      // First, so that it gets every message.
                               MHD_OPTION_EXTERNAL_LOGGER, &Log, this,                   //
                               MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(*fd),   //
                               MHD_OPTION_CONNECTION_LIMIT, limit,                       //
                               MHD_OPTION_CONNECTION_TIMEOUT, inactivity,                //
                               MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory,               //
                               MHD_OPTION_STRICT_FOR_CLIENT, 1,                          //
                               MHD_OPTION_NOTIFY_CONNECTION, &Impl::OnConnection, this,  //
                               MHD_OPTION_URI_LOG_CALLBACK, &Impl::OnUri, this,          //
                               MHD_OPTION_NOTIFY_COMPLETED, &Impl::OnCompleted, this,    //
                               MHD_OPTION_UNESCAPE_CALLBACK, &Unescape, this,            //
                               MHD_OPTION_ARRAY, tls_options.data(),                     //
                               MHD_OPTION_END);
    if (daemon_ == nullptr) {
      close(*fd);
      return WhyCannotListen(address, "libmicrohttpd could not serve it");
    }
    reaper_ = std::thread([this] { Reap(); });
    return absl::OkStatus();
  }

  int port() const { return port_; }

  void Shutdown() {
    std::lock_guard<std::mutex> once(shutdown_mu_);
    if (daemon_ == nullptr) return;
    // Stop accepting: the listening socket is ours again, and closed.
    if (const MHD_socket fd = MHD_quiesce_daemon(daemon_); fd != MHD_INVALID_SOCKET) close(fd);
    // The workers finish what they have; each answer resumes its connection.
    pool_.Stop();
    // Answers ready now are sent if their clients take them soon.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (std::chrono::steady_clock::now() < give_up && Busy()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EndStreams();
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
      reaper_wake_.notify_all();
    }
    reaper_.join();
  }

 private:
  using Clock = std::chrono::steady_clock;
  // The most a streamed body gives libmicrohttpd at once.
  static constexpr size_t kStreamBlock = 64 << 10;
  // A response whose body is an HttpBodyStream (libmicrohttpd's content reader's context).
  struct StreamedBody {
    Impl* impl;
    MHD_Connection* connection;
    std::shared_ptr<HttpBodyStream> body;
  };
  static constexpr char kPriorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";

  // The GnuTLS identity of the current TLS material: built again when TlsFiles has
  // reloaded; when GnuTLS cannot use the new one, the last one that worked.
  std::shared_ptr<const GnutlsIdentity> Identity() {
    const std::shared_ptr<const TlsFiles::Material> material = options_.tls->Current();
    std::lock_guard<std::mutex> lock(identity_mu_);
    if (identity_ == nullptr || (identity_->generation() != material->generation &&
                                 failed_generation_ != material->generation)) {
      if (std::shared_ptr<const GnutlsIdentity> fresh = GnutlsIdentity::Of(*material)) {
        identity_ = std::move(fresh);
      } else {
        failed_generation_ = material->generation;
      }
    }
    return identity_;
  }

  // gnutls_certificate_retrieve_function2, on the event thread during a handshake.
  static int RetrieveCertificate(gnutls_session_t session, const gnutls_datum_t*, int,
                                 const gnutls_pk_algorithm_t*, int, gnutls_pcert_st** certs,
                                 unsigned int* count, gnutls_privkey_t* key) {
    // libmicrohttpd sets the session's pointer to its connection.
    auto* connection = static_cast<MHD_Connection*>(gnutls_session_get_ptr(session));
    const MHD_ConnectionInfo* info =
        connection == nullptr
            ? nullptr
            : MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == nullptr || info->socket_context == nullptr) return -1;
    auto* c = static_cast<Connection*>(info->socket_context);
    c->identity = static_cast<Impl*>(c->server)->Identity();
    if (c->identity == nullptr) return -1;
    *certs = c->identity->certs();
    *count = c->identity->count();
    *key = c->identity->key();
    return 0;
  }

  // A connection has an answer in the works or on its way.
  bool Busy() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::any_of(connections_.begin(), connections_.end(), [](const Connection* c) {
      return !c->cut && (c->phase == Phase::kRunning || c->phase == Phase::kWriting);
    });
  }

  void SetPhase(MHD_Connection* connection, Phase phase) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == nullptr || info->socket_context == nullptr) return;
    auto* c = static_cast<Connection*>(info->socket_context);
    const absl::Duration timeout = phase == Phase::kIdle      ? options_.idle_timeout
                                   : phase == Phase::kReading ? options_.read_timeout
                                                              : options_.write_timeout;
    std::lock_guard<std::mutex> lock(mu_);
    c->phase = phase;
    c->deadline = Clock::now() + absl::ToChronoNanoseconds(timeout);
  }

  // Shuts down every connection past its deadline; libmicrohttpd then sees the end of
  // the connection and closes it (the socket is its to close).
  void Reap() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      reaper_wake_.wait_for(lock, std::chrono::milliseconds(50));
      const auto now = Clock::now();
      for (Connection* c : connections_) {
        if (c->cut || c->phase == Phase::kRunning || now < c->deadline) continue;
        shutdown(c->fd, SHUT_RDWR);
        c->cut = true;
      }
    }
  }

  // Why the header of `request` is refused (its HTTP status in *status); empty if it is
  // not.
  std::string CheckHeader(const HttpRequest& request, int* status) const {
    *status = 431;
    if (request.headers.size() > static_cast<size_t>(options_.max_headers)) {
      return absl::StrCat("the request has ", request.headers.size(),
                          " header fields; the server takes at most ", options_.max_headers);
    }
    size_t bytes = 0;
    for (const auto& [name, value] : request.headers) bytes += name.size() + value.size() + 4;
    if (bytes > options_.max_header_bytes) {
      return absl::StrCat("the request's header fields take ", bytes,
                          " bytes; the server takes at most ", options_.max_header_bytes);
    }
    *status = 400;
    int lengths = 0, encodings = 0;
    std::string length, encoding;
    for (const auto& [name, value] : request.headers) {
      if (absl::EqualsIgnoreCase(name, "Content-Length")) {
        ++lengths;
        length = std::string(absl::StripAsciiWhitespace(value));
      } else if (absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
        ++encodings;
        encoding = absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
      }
    }
    if (lengths > 1) return "the request has more than one Content-Length";
    if (encodings > 1 || (encodings == 1 && encoding != "chunked")) {
      return "the only Transfer-Encoding taken is one chunked";
    }
    if (lengths == 1 && encodings == 1) {
      return "the request has both Content-Length and Transfer-Encoding";
    }
    if (lengths == 1) {
      if (length.empty() || length.size() > 18 ||
          !std::all_of(length.begin(), length.end(), absl::ascii_isdigit)) {
        return "Content-Length must be a decimal number";
      }
      if (std::stoull(length) > options_.max_request_bytes) {
        *status = 413;
        return "the request body is larger than the server takes";
      }
    }
    return "";
  }

  // The client's address and, over TLS, the certificate it presented (read from the
  // session once per connection: the handshake is over when a request arrives).
  void DescribePeer(MHD_Connection* connection, HttpRequest* request) {
    const MHD_ConnectionInfo* info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    if (info == nullptr || info->socket_context == nullptr) return;
    auto* c = static_cast<Connection*>(info->socket_context);
    request->peer = c->peer;
    if (options_.tls == nullptr || !options_.tls->requests_client_certificates()) return;
    if (!c->client_certificate_read) {
      c->client_certificate_read = true;
      if (const MHD_ConnectionInfo* tls =
              MHD_get_connection_info(connection, MHD_CONNECTION_INFO_GNUTLS_SESSION);
          tls != nullptr && tls->tls_session != nullptr) {
        c->client_certificate =
            PeerCertificatesPem(static_cast<gnutls_session_t>(tls->tls_session));
      }
    }
    request->client_certificate = c->client_certificate;
  }

  MHD_Result Answer(MHD_Connection* connection, const HttpResponse& answer) {
    SetPhase(connection, Phase::kWriting);
    MHD_Response* response =
        answer.stream != nullptr
            ? StreamResponse(connection, answer.stream)
            : MHD_create_response_from_buffer(
                  answer.body.size(), const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) return MHD_NO;
    for (const auto& [name, value] : answer.headers) {
      MHD_add_response_header(response, name.c_str(), value.c_str());
    }
    if (!answer.content_type.empty()) {
      MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
    }
    const MHD_Result queued =
        MHD_queue_response(connection, static_cast<unsigned int>(answer.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  // A response whose body is `body`'s, sent chunked as it is made. While there is
  // nothing to send the connection is suspended (phase kRunning: no deadline, the maker
  // holds no thread of ours); each piece the client takes restarts write_timeout.
  MHD_Response* StreamResponse(MHD_Connection* connection, std::shared_ptr<HttpBodyStream> body) {
    auto* streamed = new StreamedBody{this, connection, body};
    body->Attach(
        [this, connection] {
          SetPhase(connection, Phase::kRunning);
          MHD_suspend_connection(connection);
        },
        [connection] { MHD_resume_connection(connection); });
    MHD_Response* response = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, kStreamBlock, &Impl::ReadStream, streamed, &Impl::FreeStream);
    if (response == nullptr) {
      body->Detach();
      delete streamed;
      return nullptr;
    }
    std::lock_guard<std::mutex> lock(mu_);
    streams_.insert(streamed);
    return response;
  }

  // libmicrohttpd's content reader of a streamed body, on the event thread.
  static ssize_t ReadStream(void* cls, uint64_t, char* out, size_t max) {
    auto* streamed = static_cast<StreamedBody*>(cls);
    size_t size = 0;
    switch (streamed->body->Take(out, max, &size)) {
      case HttpBodyStream::Took::kData:
        streamed->impl->SetPhase(streamed->connection, Phase::kWriting);
        return static_cast<ssize_t>(size);
      case HttpBodyStream::Took::kNothingYet:
        return 0;  // suspended until the maker appends or finishes
      case HttpBodyStream::Took::kEnd:
        return MHD_CONTENT_READER_END_OF_STREAM;
      case HttpBodyStream::Took::kBroken:
        break;
    }
    return MHD_CONTENT_READER_END_WITH_ERROR;  // closed without the chunked body's end
  }

  // The response is done with (sent, or its connection closed).
  static void FreeStream(void* cls) {
    auto* streamed = static_cast<StreamedBody*>(cls);
    streamed->body->Detach();
    {
      std::lock_guard<std::mutex> lock(streamed->impl->mu_);
      streamed->impl->streams_.erase(streamed);
    }
    delete streamed;
  }

  // Ends the bodies still being made, broken, and waits (up to a second) until their
  // connections have closed: a suspended one is resumed by it, and libmicrohttpd must not
  // be stopped while a connection is suspended.
  void EndStreams() {
    std::vector<std::shared_ptr<HttpBodyStream>> bodies;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const StreamedBody* streamed : streams_) bodies.push_back(streamed->body);
    }
    for (const std::shared_ptr<HttpBodyStream>& body : bodies) body->Finish(/*complete=*/false);
    const auto give_up = Clock::now() + std::chrono::seconds(1);
    while (Clock::now() < give_up) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (streams_.empty()) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  // Appends a piece of the body of `exchange`, or drops the body and sets its refusal when
  // it would pass max_request_bytes or the bodies kept would pass max_buffered_bytes.
  void Keep(Exchange* exchange, const char* data, size_t size) {
    std::string& body = exchange->request.body;
    const size_t limit = options_.max_request_bytes;
    if (body.size() + size > limit) {
      exchange->refusal = 413;
      exchange->refusal_why = "the request body is larger than the server takes";
    } else if (body.size() + size > body.capacity()) {
      // Grown at most to the limit (std::string would double past it), within the budget.
      const size_t capacity = std::min(limit, std::max(2 * body.capacity(), body.size() + size));
      if (buffered_ - exchange->buffered + capacity > options_.max_buffered_bytes) {
        exchange->refusal = 503;
        exchange->refusal_why =
            "the server is busy receiving other requests' bodies: try again shortly";
      } else {
        body.reserve(capacity);
        buffered_ += body.capacity() - exchange->buffered;
        exchange->buffered = body.capacity();
      }
    }
    if (exchange->refusal != 0) {
      buffered_ -= exchange->buffered;
      exchange->buffered = 0;
      std::string().swap(body);
      return;
    }
    body.append(data, size);
  }

  // Answers `status` through refuse_ and closes the connection: what is left of the
  // request is not read (or not trusted).
  MHD_Result RefuseAndClose(MHD_Connection* connection, int status, absl::string_view why) {
    HttpResponse answer;
    answer.status = status;
    refuse_(status, why, answer);
    answer.set_header("Connection", "close");
    return Answer(connection, answer);
  }

  // The request is complete: to a worker, the connection suspended until its answer.
  MHD_Result Dispatch(MHD_Connection* connection, Exchange* exchange) {
    exchange->dispatched = true;
    SetPhase(connection, Phase::kRunning);
    // Suspended before the worker may resume it.
    MHD_suspend_connection(connection);
    const bool queued = pool_.TrySubmit([this, connection, exchange] {
      HttpResponse answer;
      handler_(exchange->request, answer);
      Deliver(connection, exchange, std::move(answer));
    });
    if (!queued) {
      HttpResponse busy;
      busy.status = 503;
      refuse_(503, "the server is busy: try again shortly", busy);
      Deliver(connection, exchange, std::move(busy));
    }
    return MHD_YES;
  }

  // Leaves `answer` for the access handler, which libmicrohttpd calls again once the
  // connection is resumed.
  static void Deliver(MHD_Connection* connection, Exchange* exchange, HttpResponse answer) {
    {
      std::lock_guard<std::mutex> lock(exchange->mu);
      exchange->response = std::move(answer);
      exchange->answered = true;
    }
    MHD_resume_connection(connection);
  }

  static MHD_Result OnAccept(void* cls, const sockaddr*, socklen_t) {
    auto* self = static_cast<Impl*>(cls);
    std::lock_guard<std::mutex> lock(self->mu_);
    return self->connections_.size() <
                   static_cast<size_t>(std::max(1, self->options_.max_connections))
               ? MHD_YES
               : MHD_NO;
  }

  static void OnConnection(void* cls, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<Impl*>(cls);
    std::lock_guard<std::mutex> lock(self->mu_);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      auto* c = new Connection;
      const MHD_ConnectionInfo* info =
          MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      c->fd = info == nullptr ? -1 : info->connect_fd;
      c->deadline = Clock::now() + absl::ToChronoNanoseconds(self->options_.idle_timeout);
      c->cut = c->fd < 0;
      c->server = self;
      if (const MHD_ConnectionInfo* address =
              MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
          address != nullptr) {
        c->peer = PeerOf(address->client_addr);
      }
      self->connections_.insert(c);
      *socket_context = c;
    } else if (*socket_context != nullptr) {
      auto* c = static_cast<Connection*>(*socket_context);
      self->connections_.erase(c);
      delete c;
      *socket_context = nullptr;
    }
  }

  // A request's first line has arrived.
  static void* OnUri(void* cls, const char*, MHD_Connection* connection) {
    static_cast<Impl*>(cls)->SetPhase(connection, Phase::kReading);
    return nullptr;
  }

  static void OnCompleted(void* cls, MHD_Connection* connection, void** context,
                          MHD_RequestTerminationCode) {
    auto* self = static_cast<Impl*>(cls);
    if (auto* exchange = static_cast<Exchange*>(*context); exchange != nullptr) {
      self->buffered_ -= exchange->buffered;
      delete exchange;
    }
    *context = nullptr;
    self->SetPhase(connection, Phase::kIdle);
  }

  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** context) {
    auto* self = static_cast<Impl*>(cls);
    auto* exchange = static_cast<Exchange*>(*context);
    if (exchange == nullptr) {  // the header has arrived
      exchange = new Exchange;
      *context = exchange;
      exchange->request.method = method;
      exchange->request.path = url;
      MHD_get_connection_values_n(connection, MHD_HEADER_KIND, &CollectPair,
                                  &exchange->request.headers);
      MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, &CollectPair,
                                  &exchange->request.params);
      self->DescribePeer(connection, &exchange->request);
      int status = 0;
      if (const std::string why = self->CheckHeader(exchange->request, &status); !why.empty()) {
        return self->RefuseAndClose(connection, status, why);
      }
      return MHD_YES;
    }
    if (*upload_data_size != 0) {  // a piece of the body
      if (exchange->refusal == 0) self->Keep(exchange, upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    if (exchange->refusal != 0) {
      return self->RefuseAndClose(connection, exchange->refusal, exchange->refusal_why);
    }
    if (!exchange->dispatched) return self->Dispatch(connection, exchange);
    HttpResponse answer;
    {
      std::lock_guard<std::mutex> lock(exchange->mu);
      if (!exchange->answered) return MHD_YES;
      answer = std::move(exchange->response);
    }
    return self->Answer(connection, answer);
  }

  const HttpServerOptions options_;
  const Handler handler_;
  const Refuse refuse_;
  WorkerPool pool_;
  MHD_Daemon* daemon_ = nullptr;
  int port_ = 0;
  std::string trust_pem_;  // the client CA, for libmicrohttpd (MHD_OPTION_HTTPS_MEM_TRUST)
  std::mutex identity_mu_;
  std::shared_ptr<const GnutlsIdentity> identity_;  // guarded by identity_mu_
  uint64_t failed_generation_ = 0;                  // guarded by identity_mu_
  std::mutex shutdown_mu_;
  std::mutex mu_;
  std::condition_variable reaper_wake_;
  bool stopping_ = false;                        // guarded by mu_
  std::unordered_set<Connection*> connections_;  // guarded by mu_
  std::unordered_set<StreamedBody*> streams_;    // guarded by mu_
  std::thread reaper_;
  // The capacity of the request bodies kept, in all (used on the event thread only).
  size_t buffered_ = 0;
};

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              const HttpServerOptions& options,
                                                              Handler handler, Refuse refuse) {
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(refuse));
  if (absl::Status s = impl->Start(address); !s.ok()) return s;
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Shutdown(); }

int HttpServer::port() const { return impl_->port(); }

void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace d06::api
