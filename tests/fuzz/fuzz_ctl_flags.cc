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
#include "client/ctl/global_options.h"
#include "client/ctl/request_flags.h"
#include "d06/v1/access.pb.h"
#include "d06/v1/admin.pb.h"
#include "d06/v1/report.pb.h"
#include "d06/v1/task.pb.h"
#include "d06/v1/unit.pb.h"
#include "d06/v1/watch.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/dynamic_message.h"

namespace {

const std::vector<const google::protobuf::MethodDescriptor*>& Methods() {
  static const std::vector<const google::protobuf::MethodDescriptor*> methods = [] {
    std::vector<const google::protobuf::MethodDescriptor*> out;
    const google::protobuf::FileDescriptor* files[] = {
        d06::v1::Principal::descriptor()->file(),
        d06::v1::CheckConsistencyRequest::descriptor()->file(),
        d06::v1::GetSummaryRequest::descriptor()->file(),
        d06::v1::Task::descriptor()->file(),
        d06::v1::Unit::descriptor()->file(),
        d06::v1::WatchRequest::descriptor()->file()};
    for (const auto* file : files) {
      for (int s = 0; s < file->service_count(); ++s) {
        for (int m = 0; m < file->service(s)->method_count(); ++m) {
          out.push_back(file->service(s)->method(m));
        }
      }
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
  static google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> request(
      factory.GetPrototype(method->input_type())->New());
  const absl::Status built = d06::ctl::BuildRequest(
      std::vector<std::string>(words.begin() + (words.empty() ? 0 : 1), words.end()),
      request.get());
  if (!built.ok() && !absl::IsInvalidArgument(built)) std::abort();
  return 0;
}
