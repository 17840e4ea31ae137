// d06ctl's command line (client/ctl/global_options.h, request_flags.h): the words of the
// input (split at NUL bytes and newlines) are given to the global options parser, and
// the words after the first go to the request builder of the method the first byte picks.
// Whatever the words, each gives a request or a usage error (INVALID_ARGUMENT).
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/ctl/catalog.h"
#include "client/ctl/global_options.h"
#include "client/ctl/request_flags.h"
#include "google/protobuf/descriptor.h"

namespace {

// The methods as d06ctl sees them: from its embedded descriptor set (client/ctl/catalog.h),
// requests made as dynamic messages of that pool, as d06ctl makes them.
const d06::ctl::Catalog& TheCatalog() {
  static const d06::ctl::Catalog* catalog =
      d06::ctl::Catalog::Load(d06::ctl::EmbeddedDescriptorSet())->release();
  return *catalog;
}

const std::vector<const google::protobuf::MethodDescriptor*>& Methods() {
  static const std::vector<const google::protobuf::MethodDescriptor*> methods = [] {
    std::vector<const google::protobuf::MethodDescriptor*> out;
    for (const auto* service : TheCatalog().services()) {
      for (int m = 0; m < service->method_count(); ++m) out.push_back(service->method(m));
    }
    return out;
  }();
  return methods;
}

const char* NoEnvironment(const char*) { return nullptr; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const absl::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::vector<std::string> words = absl::StrSplit(text, absl::ByAnyChar(std::string("\n\0", 2)));
  absl::StatusOr<d06::ctl::ParsedCommandLine> parsed =
      d06::ctl::ParseGlobalOptions(words, &NoEnvironment);
  if (!parsed.ok() && !absl::IsInvalidArgument(parsed.status())) std::abort();
  const auto& methods = Methods();
  const google::protobuf::MethodDescriptor* method = methods[data[0] % methods.size()];
  std::unique_ptr<google::protobuf::Message> request =
      TheCatalog().NewMessage(*method->input_type());
  const absl::Status built = d06::ctl::BuildRequest(
      std::vector<std::string>(words.begin() + (words.empty() ? 0 : 1), words.end()),
      request.get());
  if (!built.ok() && !absl::IsInvalidArgument(built)) std::abort();
  return 0;
}
