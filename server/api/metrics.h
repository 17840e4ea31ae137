// d06::api::Metrics: d06d's one registry of Prometheus metrics (prometheus-cpp's core
// library, Debian's prometheus-cpp-dev), and MetricsListener, the HTTP listener of its
// own that serves them at `GET /metrics` in the text exposition format, with the probes
// `/livez` and `/readyz` (server/api/http_transport.h, ServeProbe), so that a scraper can
// reach them without reaching the API (as etcd's --listen-metrics-urls).
//
// Fed in three ways, so that nothing under the API layer knows Prometheus:
// - calls: as a CallObserver of the method table, the one point every call passes
//   through, and of the requests the transports refuse before it (CallRefused);
// - the store's writer: Store::Options::on_group (OnGroup) after every group;
// - everything else is read at each scrape from the plain counters its owner keeps
//   (MetricsSources: Store::stats and engine_stats, WatchHub's counters, the background
//   jobs), and from /proc/self for the process.
//
// Names follow Prometheus' conventions: the d06_ prefix, base units in the name
// (_seconds, _bytes), _total for counters; labels are low-cardinality (a method, a
// transport, a gRPC code, a reason from a fixed set; never a principal or an id).
// README ("Metrics and health") and deploy/README.md list every family.
//
// Thread-safe. Example:
//   auto metrics = std::make_shared<Metrics>();
//   store_options.on_group = [metrics](const GroupStats& g) { metrics->OnGroup(g); };
//   table.add_observer(metrics.get());
//   metrics->Attach({store, hub, ...});
//   auto listener = MetricsListener::Start("127.0.0.1:9464", {}, metrics.get(), ready);
#ifndef D06_SERVER_API_METRICS_H_
#define D06_SERVER_API_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/api/http_server.h"
#include "server/api/method_table.h"
#include "server/api/tls.h"
#include "server/core/watch_hub.h"
#include "storage/store.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
}  // namespace prometheus

namespace d06::api {

// What the metrics read at each scrape; each may be null (its metrics are then absent).
// Must stay valid until Metrics::Detach.
struct MetricsSources {
  const Store* store = nullptr;
  const WatchHub* hub = nullptr;
  // The data directory, for the space left on its file system; empty: not measured.
  std::string data_dir;
  // The server's TLS files, for its certificate's expiry; null: plaintext.
  const TlsFiles* tls = nullptr;
  // The background jobs (server/d06d/periodic_job.h): deadline crossings recorded and
  // events removed by retention since start, and how long ago the deadline scheduler
  // last had no crossing left to record.
  std::function<uint64_t()> crossings_recorded;
  std::function<uint64_t()> events_removed;
  std::function<absl::Duration()> scheduler_lag;
};

class Metrics final : public CallObserver {
 public:
  Metrics();
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Starts and stops reading `sources` at scrapes (Detach waits for a scrape reading
  // them to finish).
  void Attach(MetricsSources sources);
  void Detach();

  // CallObserver.
  void CallStarted(const Method& method) override;
  void CallEnded(const CallRecord& record) override;
  void CallRefused(CallContext::Transport transport, Refusal why) override;
  // Store::Options::on_group: a group of the writer.
  void OnGroup(const GroupStats& group);

  // Every metric now, in Prometheus' text exposition format (version 0.0.4).
  std::string Scrape() const;

 private:
  struct Calls;
  prometheus::Counter& CallCounter(const CallRecord& record);
  prometheus::Histogram& Latency(const Method& method);

  const std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Calls> calls_;
  // Calls in flight by Method::Kind.
  static constexpr int kKinds = static_cast<int>(Method::Kind::kWatch) + 1;
  std::atomic<int64_t> in_flight_[kKinds] = {};

  mutable absl::Mutex cache_mu_;
  // The counter of each (method, transport, code) and the histogram of each method seen,
  // so that a call does not build and hash its labels.
  std::map<std::tuple<const Method*, int, int>, prometheus::Counter*> counters_
      ABSL_GUARDED_BY(cache_mu_);
  std::map<const Method*, prometheus::Histogram*> latencies_ ABSL_GUARDED_BY(cache_mu_);

  mutable absl::Mutex sources_mu_;
  MetricsSources sources_ ABSL_GUARDED_BY(sources_mu_);
};

// The metrics listener: `GET /metrics` (Metrics::Scrape), `GET /livez` and `GET /readyz`
// (`ready`), anything else 404, on an HttpServer of its own (its limits and deadlines,
// and TLS when options.tls is set).
class MetricsListener {
 public:
  // Listens on `address` (host:port; port 0 picks one). `metrics` must outlive the
  // listener. Errors as HttpServer::Start.
  static absl::StatusOr<std::unique_ptr<MetricsListener>> Start(const std::string& address,
                                                                HttpServerOptions options,
                                                                const Metrics* metrics,
                                                                std::function<bool()> ready);
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

  int port() const { return server_->port(); }
  // Stops listening and closes every connection. Idempotent.
  void Shutdown() { server_->Shutdown(); }

 private:
  explicit MetricsListener(std::unique_ptr<HttpServer> server) : server_(std::move(server)) {}
  std::unique_ptr<HttpServer> server_;
};

}  // namespace d06::api

#endif  // D06_SERVER_API_METRICS_H_
