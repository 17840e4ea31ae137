// d06::ctl::Catalog: the API as d06ctl sees it, read at run time from the FileDescriptorSet
// compiled into the binary (with the .proto comments): every method of every service
// becomes a command `d06ctl GROUP VERB`, with no per-method code.
//
// The naming rule (CommandNameOf), general so that a new RPC is a command as soon as it is
// in the .proto:
//   * A service's own resource is its name without "Service": UnitService -> Unit.
//     Further resources of the service are the nouns N with both a Get<N> and a
//     List<plural N> method (Google AIP standard methods): TaskService -> Assignment.
//   * A method belongs to the group (the plural, lower case: "units", "assignments") of
//     the last resource noun in its name, singular or plural; if none, of the resource
//     named by the quoted pattern in the comment of its request's `name` / `parent` field
//     ("tasks/{id}/assignments/{unit code}" -> assignments) when that is a resource of the
//     service; else of the service's own resource.
//   * The verb is the method name without that noun (removed once), kebab-cased:
//     GetTask -> get, ListTaskEvents -> list-events, ReportAssignmentProgress ->
//     report-progress, RequestExtension -> request-extension, GetSummary -> get-summary.
//     A method whose name is only the noun keeps its kebab-cased name. Should two methods
//     map to one (group, verb), the later one is named by its full kebab-cased name.
//   * Exception: AccessService is one group, "access", each verb its full kebab-cased
//     method name (access create-principal, access create-token, access who-am-i).
// Commands can also be named raw: `TaskService GetTask`, `d06.v1.TaskService.GetTask`,
// `d06.v1.TaskService/GetTask`.
//
// Immutable after Load(); thread-safe for reading.
#ifndef D06_CLIENT_CTL_CATALOG_H_
#define D06_CLIENT_CTL_CATALOG_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"

namespace d06::ctl {

// The serialized FileDescriptorSet of proto/d06/v1/*.proto with source info (generated
// at build time by client/ctl/embed_file.cmake).
absl::string_view EmbeddedDescriptorSet();

// One generated command.
struct MethodCommand {
  std::string group;  // "assignments"
  std::string verb;   // "start"
  const google::protobuf::MethodDescriptor* method = nullptr;
};

// One group of commands, e.g. "tasks" (methods of TaskService) or "assignments".
struct CommandGroup {
  std::string name;
  const google::protobuf::ServiceDescriptor* service = nullptr;
  std::vector<MethodCommand> commands;
};

class Catalog {
 public:
  // Loads a serialized FileDescriptorSet (files in dependency order, as protoc
  // --include_imports writes them) and names every method. Errors: INTERNAL if the set
  // does not parse or build.
  static absl::StatusOr<std::unique_ptr<Catalog>> Load(absl::string_view descriptor_set);

  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  const google::protobuf::DescriptorPool& pool() const { return pool_; }
  // The services of the set, in file order.
  const std::vector<const google::protobuf::ServiceDescriptor*>& services() const {
    return services_;
  }
  // The groups in order of first appearance, their commands in method order.
  const std::vector<CommandGroup>& groups() const { return groups_; }

  // The command `group verb`, or the raw forms (`TaskService GetTask`: group is the
  // service's short or full name, verb the method name; or group alone is the method's
  // full name "d06.v1.TaskService.GetTask" / "d06.v1.TaskService/GetTask", verb empty).
  // Null if none. `used_verb` is set to whether `verb` was part of the name.
  const MethodCommand* Find(absl::string_view group, absl::string_view verb, bool* used_verb) const;
  // The group called `name` ("tasks", "TaskService", "d06.v1.TaskService"), or null.
  const CommandGroup* FindGroup(absl::string_view name) const;
  // The command of `method`, or null (not of this pool).
  const MethodCommand* CommandOf(const google::protobuf::MethodDescriptor& method) const;

  // A fresh message of `descriptor` (a type of pool()).
  std::unique_ptr<google::protobuf::Message> NewMessage(
      const google::protobuf::Descriptor& descriptor) const;

 private:
  Catalog() = default;
  void NameCommands();

  google::protobuf::DescriptorPool pool_;
  mutable google::protobuf::DynamicMessageFactory factory_{&pool_};
  std::vector<const google::protobuf::ServiceDescriptor*> services_;
  std::vector<CommandGroup> groups_;
};

// The naming rule's parts, exposed for tests and help.
// "ReportAssignmentProgress" -> {"Report", "Assignment", "Progress"}.
std::vector<std::string> SplitCamelCase(absl::string_view name);
// "Summary" -> "summaries", "Task" -> "tasks".
std::string PluralOf(absl::string_view noun);
// {"list", "events"} -> "list-events" (lower case).
std::string KebabCase(const std::vector<std::string>& words);
// The field of a request that names the resource it acts on or lists under: the first
// string field called `name` or `parent`, or null. d06ctl takes it positionally.
const google::protobuf::FieldDescriptor* PositionalField(
    const google::protobuf::Descriptor& request);
// The common prefix of an enum's value names: UnitKind -> "UNIT_KIND_".
std::string EnumValuePrefix(const google::protobuf::EnumDescriptor& type);
// A value's name without that prefix: UNIT_KIND_PROVINCE -> "PROVINCE".
std::string ShortEnumName(const google::protobuf::EnumValueDescriptor& value);
// Whether `type` is a calendar date: exactly the int32 fields year, month, day
// (d06.v1.Date, google.type.Date).
bool IsDateType(const google::protobuf::Descriptor& type);
// The leading comment of a descriptor (trimmed, comment markers removed); "" if none.
std::string CommentOf(const google::protobuf::MethodDescriptor& d);
std::string CommentOf(const google::protobuf::ServiceDescriptor& d);
std::string CommentOf(const google::protobuf::FieldDescriptor& d);
std::string CommentOf(const google::protobuf::Descriptor& d);
// The first sentence or line of a comment, for one-line summaries.
std::string SummaryOf(absl::string_view comment);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_CATALOG_H_
