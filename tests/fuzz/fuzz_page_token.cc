// Page tokens (server/core/paging.h) as a client sends them back: whatever the text,
// Decode gives INVALID_ARGUMENT/INVALID_PAGE_TOKEN or a cursor this server sealed, never
// one it did not; and any cursor sealed round-trips for its caller and scope only.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "server/core/paging.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const d06::PageTokens tokens(std::string(d06::PageTokens::kKeyBytes, 'k'));
  const auto as = [](const std::string& name) {
    d06::Caller caller;
    caller.actor = name;
    auto principal = std::make_shared<d06::v1::Principal>();
    principal->set_name(name);
    caller.principal = principal;
    return caller;
  };
  const d06::Caller caller = as("principals/fuzz");
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> cursor = tokens.Decode(caller, text, "tasks\nfuzz");
  if (!cursor.ok() && !absl::IsInvalidArgument(cursor.status())) std::abort();
  if (cursor.ok() && !text.empty()) std::abort();  // a forged token was taken
  // The same bytes as a cursor: sealed, they come back for this caller and scope only.
  absl::StatusOr<std::string> sealed = tokens.Encode(caller, "tasks\nfuzz", text);
  if (!sealed.ok()) std::abort();
  absl::StatusOr<std::string> back = tokens.Decode(caller, *sealed, "tasks\nfuzz");
  if (!back.ok() || *back != text) std::abort();
  if (!text.empty() && tokens.Decode(caller, *sealed, "units\nfuzz").ok()) std::abort();
  const d06::Caller other = as("principals/other");
  if (!text.empty() && tokens.Decode(other, *sealed, "tasks\nfuzz").ok()) std::abort();
  return 0;
}
