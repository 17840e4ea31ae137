// One logger for a whole process: every warning and error of d06d (and of the libraries it
// wraps, RocksDB's info log among them) is a line on stderr written here, never by an
// ad-hoc write to stderr.
//
// A line has a level (debug < info < warning < error; lines below the configured level are
// dropped), a message and key=value fields, and is written in one of two formats:
//   text (the default), what d06d has always printed, so that scripts reading its start-up
//   lines ("d06d: serving gRPC on port N (...)") keep working:
//       d06d: serving gRPC on port 50051 (127.0.0.1:50051)
//       d06d: WARNING: running as root: ...
//       d06d: call method=/d06.v1.TaskService/GetTask code=OK duration_ms=1.25 peer=...
//     info lines carry no level word, the others "DEBUG: ", "WARNING: " or "ERROR: ".
//     With timestamps on, each line starts with its UTC time (2026-12-04T05:28:57.123456Z);
//     off by default because journald, Kubernetes and docker stamp every line they collect.
//     A field's value is quoted (Go's %q rules) when empty or holding a space, quote, '='
//     or control character; the message's control characters are escaped (\n, \x1b), so
//     one call is always one line whatever a peer or a library put in it.
//   json: one object a line, {"ts":"...","level":"info","msg":"...", then the fields},
//     numbers and booleans unquoted, strings escaped per RFC 8259 (bytes that are not
//     UTF-8 become U+FFFD), ready for Loki, Elasticsearch or jq.
//
// Never log a bearer token, a key or a request body: fields are for names, codes, sizes,
// durations and addresses.
//
// Thread-safe: Configure may be called at any time (d06d calls it once, after reading its
// configuration); a line is formatted outside any lock and written by one write(2) to
// stderr under a mutex, so lines of threads never interleave. A busy server logs a call
// line per call: after BatchCallLines, call lines are gathered and written together (by
// a flusher, or by the next line of any other kind, so the order of lines is kept).
//
//   d06::log::Options options;
//   options.format = d06::log::Format::kJson;
//   d06::log::Configure(options);
//   d06::log::Warning("data directory is open to other users", {{"dir", dir}, {"mode", 0755}});
#ifndef D06_COMMON_LOG_H_
#define D06_COMMON_LOG_H_

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace d06::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };
enum class Format { kText, kJson };

// "debug", "info", "warning" (or "warn"), "error", any case.
absl::StatusOr<Level> ParseLevel(absl::string_view text);
// "text" or "json".
absl::StatusOr<Format> ParseFormat(absl::string_view text);
// "debug", "info", "warning", "error".
absl::string_view LevelName(Level level);

// One key=value of a line: a string, an integer, a floating-point number or a boolean
// (the last three unquoted in JSON).
class Field {
 public:
  Field(absl::string_view key, absl::string_view value);
  Field(absl::string_view key, const char* value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, const std::string& value) : Field(key, absl::string_view(value)) {}
  Field(absl::string_view key, bool value);
  Field(absl::string_view key, double value);
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Field(absl::string_view key, T value)
      : key_(key), value_(std::to_string(value)), quoted_(false) {}

  absl::string_view key() const { return key_; }
  absl::string_view value() const { return value_; }
  // A string (quoted in JSON), not a number or boolean.
  bool quoted() const { return quoted_; }

 private:
  std::string key_;
  std::string value_;
  bool quoted_;
};
using Fields = absl::Span<const Field>;

struct Options {
  // Lines below this level are dropped.
  Level level = Level::kInfo;
  Format format = Format::kText;
  // Text only: start each line with its UTC time (JSON lines always carry "ts").
  bool timestamps = false;
  // Text only: what each line starts with, before ": ". Empty: the program's name.
  std::string program;
  // The level of the one line per call (LogCall).
  Level call_level = Level::kInfo;
};

// Sets the options of every line from now on.
void Configure(const Options& options);
Options CurrentOptions();
// Whether a line of `level` would be written (to skip building costly fields).
bool Enabled(Level level);
// Whether LogCall would write a line.
bool CallLinesEnabled();

void Write(Level level, absl::string_view message, Fields fields = {});
inline void Debug(absl::string_view message, Fields fields = {}) {
  Write(Level::kDebug, message, fields);
}
inline void Info(absl::string_view message, Fields fields = {}) {
  Write(Level::kInfo, message, fields);
}
inline void Warning(absl::string_view message, Fields fields = {}) {
  Write(Level::kWarning, message, fields);
}
inline void Error(absl::string_view message, Fields fields = {}) {
  Write(Level::kError, message, fields);
}

// The line of one finished call (gRPC or HTTP), as the call point sees it. Nothing of the
// credential or of the request's content is in it.
struct Call {
  std::string method;  // "/d06.v1.TaskService/GetTask"
  std::string code;    // the canonical code's name, "OK", "NOT_FOUND"
  absl::Duration duration;
  std::string principal;   // "principals/admin"; empty when unauthenticated
  std::string request_id;  // the request's request_id, if any
  std::string peer;        // "ipv4:127.0.0.1:40312"
  int64_t bytes_in = 0;    // the request message's size
  int64_t bytes_out = 0;   // the response's (all messages of a stream)
};
// Writes `call` at Options::call_level: message "call", fields method, code, duration_ms,
// principal, request_id, peer, bytes_in, bytes_out in that order.
void LogCall(const Call& call);
// From now on call lines wait up to `every` (or until 64 KiB wait) and are written in one
// write(2) with the others waiting, instead of one each: at tens of thousands of calls a
// second the writes were a fifth of a read's CPU. Other lines are written at once, after
// the call lines before them. A process killed with SIGKILL loses the call lines of its
// last `every`; a normal exit flushes them (atexit). Idempotent.
void BatchCallLines(absl::Duration every);
// Writes the call lines waiting, if any.
void Flush();

// The line Write would write (without its newline), for tests and for the start-up
// configuration report.
std::string FormatLine(const Options& options, absl::Time time, Level level,
                       absl::string_view message, Fields fields);

// Sends every line (with its newline) to `sink` instead of stderr; null restores stderr.
void SetSinkForTesting(std::function<void(absl::string_view)> sink);

}  // namespace d06::log

#endif  // D06_COMMON_LOG_H_
