#include "common/log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace d06::log {
namespace {

struct State {
  absl::Mutex mu;
  // Replaced whole by Configure, so a line is formatted outside the lock from the
  // options it took.
  std::shared_ptr<const Options> options ABSL_GUARDED_BY(mu) = std::make_shared<Options>();
  // Copies of options->level and call_level, for Enabled without the lock.
  std::atomic<Level> level{Level::kInfo};
  std::atomic<Level> call_level{Level::kInfo};
  std::function<void(absl::string_view)> sink ABSL_GUARDED_BY(mu);
  // Call lines not yet written (BatchCallLines); every write takes them first, so lines
  // reach stderr in the order they were logged.
  std::string pending ABSL_GUARDED_BY(mu);
  bool batching ABSL_GUARDED_BY(mu) = false;
};

// Past this size a call line writes the batch at once instead of waiting for the flusher.
constexpr size_t kMaxPendingBytes = 64 << 10;

State& GlobalState() {
  static State* state = new State();
  return *state;
}

// The length of the UTF-8 sequence starting at s[i], or 0 when the bytes there are not
// one (overlong forms, surrogates and code points past U+10FFFF included).
size_t Utf8Length(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t n;
  uint32_t min;
  if (c < 0x80) return 1;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  uint32_t code = c & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3F);
  }
  if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return n;
}

// `s` as a JSON string, quotes included.
void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const size_t n = Utf8Length(s, i);
      if (n == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

// `s` with its ASCII control characters escaped (\n, \t, \x1b...): a message stays one
// line, and a terminal reading it runs no escape sequence.
void AppendEscapedText(std::string* out, absl::string_view s, bool escape_quotes) {
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7F) {
      absl::StrAppendFormat(out, "\\x%02x", c);
    } else if (escape_quotes && (c == '"' || c == '\\')) {
      out->push_back('\\');
      out->push_back(ch);
    } else {
      out->push_back(ch);
    }
  }
}

// A text field value: bare when it is unambiguous, else quoted with escapes.
void AppendTextValue(std::string* out, absl::string_view value) {
  bool bare = !value.empty();
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || c == '"' || c == '=' || c == '\\') {
      bare = false;
      break;
    }
  }
  if (bare) {
    out->append(value.data(), value.size());
    return;
  }
  out->push_back('"');
  AppendEscapedText(out, value, /*escape_quotes=*/true);
  out->push_back('"');
}

absl::string_view ProgramName(const Options& options) {
  if (!options.program.empty()) return options.program;
  return program_invocation_short_name;
}

void WriteToStderr(absl::string_view line) {
  while (!line.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere left to say so.
    line.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

absl::StatusOr<Level> ParseLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warning" || lower == "warn") return Level::kWarning;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      absl::StrCat("a log level is debug, info, warning or error, not \"", text, "\""));
}

absl::StatusOr<Format> ParseFormat(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "text") return Format::kText;
  if (lower == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("a log format is text or json, not \"", text, "\""));
}

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "?";
}

Field::Field(absl::string_view key, absl::string_view value)
    : key_(key), value_(value), quoted_(true) {}
Field::Field(absl::string_view key, bool value)
    : key_(key), value_(value ? "true" : "false"), quoted_(false) {}
Field::Field(absl::string_view key, double value)
    : key_(key), value_(absl::StrCat(value)), quoted_(!std::isfinite(value)) {}

std::string FormatLine(const Options& options, absl::Time time, Level level,
                       absl::string_view message, Fields fields) {
  std::string line;
  if (options.format == Format::kJson) {
    line.append("{\"ts\":");
    AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone()));
    line.append(",\"level\":");
    AppendJsonString(&line, LevelName(level));
    line.append(",\"msg\":");
    AppendJsonString(&line, message);
    for (const Field& field : fields) {
      line.push_back(',');
      AppendJsonString(&line, field.key());
      line.push_back(':');
      if (field.quoted()) {
        AppendJsonString(&line, field.value());
      } else {
        absl::StrAppend(&line, field.value());
      }
    }
    line.push_back('}');
    return line;
  }
  if (options.timestamps) {
    absl::StrAppend(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ ", time, absl::UTCTimeZone()));
  }
  absl::StrAppend(&line, ProgramName(options), ": ");
  if (level != Level::kInfo) {
    absl::StrAppend(&line, absl::AsciiStrToUpper(LevelName(level)), ": ");
  }
  AppendEscapedText(&line, message, /*escape_quotes=*/false);
  for (const Field& field : fields) {
    line.push_back(' ');
    AppendEscapedText(&line, field.key(), /*escape_quotes=*/false);
    line.push_back('=');
    AppendTextValue(&line, field.value());
  }
  return line;
}

void Configure(const Options& options) {
  State& state = GlobalState();
  absl::MutexLock lock(&state.mu);
  state.options = std::make_shared<const Options>(options);
  state.level.store(options.level, std::memory_order_relaxed);
  state.call_level.store(options.call_level, std::memory_order_relaxed);
}

Options CurrentOptions() {
  State& state = GlobalState();
  absl::MutexLock lock(&state.mu);
  return *state.options;
}

bool Enabled(Level level) { return level >= GlobalState().level.load(std::memory_order_relaxed); }

bool CallLinesEnabled() {
  return Enabled(GlobalState().call_level.load(std::memory_order_relaxed));
}

namespace {

// Writes the pending call lines, then `line` (both may be empty).
void WriteLocked(State& state, absl::string_view line) ABSL_EXCLUSIVE_LOCKS_REQUIRED(state.mu) {
  if (!state.pending.empty()) {
    WriteToStderr(state.pending);
    state.pending.clear();
  }
  if (!line.empty()) WriteToStderr(line);
}

// Formats the line outside the lock; `batch`: a call line, which may wait for the flusher.
void Emit(Level level, absl::string_view message, Fields fields, bool batch) {
  State& state = GlobalState();
  if (!Enabled(level)) return;
  const absl::Time now = absl::Now();
  std::shared_ptr<const Options> options;
  {
    absl::MutexLock lock(&state.mu);
    options = state.options;
  }
  std::string line = FormatLine(*options, now, level, message, fields);
  line.push_back('\n');
  absl::MutexLock lock(&state.mu);
  if (state.sink) {
    state.sink(line);
  } else if (batch && state.batching) {
    state.pending.append(line);
    if (state.pending.size() >= kMaxPendingBytes) WriteLocked(state, "");
  } else {
    WriteLocked(state, line);
  }
}

}  // namespace

void Write(Level level, absl::string_view message, Fields fields) {
  Emit(level, message, fields, /*batch=*/false);
}

void LogCall(const Call& call) {
  if (!CallLinesEnabled()) return;
  const Field fields[] = {
      {"method", call.method},
      {"code", call.code},
      {"duration_ms", absl::ToDoubleMilliseconds(call.duration)},
      {"principal", call.principal},
      {"request_id", call.request_id},
      {"peer", call.peer},
      {"bytes_in", call.bytes_in},
      {"bytes_out", call.bytes_out},
  };
  Emit(GlobalState().call_level.load(std::memory_order_relaxed), "call", fields, /*batch=*/true);
}

void BatchCallLines(absl::Duration every) {
  State& state = GlobalState();
  {
    absl::MutexLock lock(&state.mu);
    if (state.batching) return;
    state.batching = true;
  }
  std::atexit(Flush);
  // The flusher takes no signal: a program that waits for its signals with sigwait
  // blocks them in its threads, and this one may start before it does.
  sigset_t all;
  sigset_t before;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &before);
  // Runs until the process ends; the state it uses is never destroyed.
  std::thread([&state, every] {
    for (;;) {
      absl::SleepFor(every);
      absl::MutexLock lock(&state.mu);
      WriteLocked(state, "");
    }
  }).detach();
  pthread_sigmask(SIG_SETMASK, &before, nullptr);
}

void Flush() {
  State& state = GlobalState();
  absl::MutexLock lock(&state.mu);
  WriteLocked(state, "");
}

void SetSinkForTesting(std::function<void(absl::string_view)> sink) {
  State& state = GlobalState();
  absl::MutexLock lock(&state.mu);
  state.sink = std::move(sink);
}

}  // namespace d06::log
