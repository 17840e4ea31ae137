#include "client/ctl/rpc_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/output.h"
#include "client/ctl/request_flags.h"
#include "client/ctl/table.h"

namespace d06::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The single bytes field of a streamed file's chunks, or null.
const FieldDescriptor* ChunkField(const google::protobuf::Descriptor& type) {
  if (type.field_count() != 1) return nullptr;
  const FieldDescriptor* field = type.field(0);
  return field->type() == FieldDescriptor::TYPE_BYTES && !field->is_repeated() ? field : nullptr;
}

// The string field called `secret` of a response (CreateTokenResponse), or null.
const FieldDescriptor* SecretField(const google::protobuf::Descriptor& type) {
  const FieldDescriptor* field = type.FindFieldByName("secret");
  return field != nullptr && field->type() == FieldDescriptor::TYPE_STRING && !field->is_repeated()
             ? field
             : nullptr;
}

// The names behind the codes of a table, from GetUnit and GetTask through the
// invocation's client: each name looked up once, at most kMaxLookups in all (a page of a
// list shows a few units and tasks; beyond that, or when a lookup fails, the code alone).
class ClientNames final : public NameSource {
 public:
  explicit ClientNames(Client& client) : client_(client) {}

  std::string UnitDisplayName(const std::string& unit) override {
    return Lookup(unit, [this](const std::string& name) -> absl::StatusOr<std::string> {
      v1::GetUnitRequest request;
      request.set_name(name);
      absl::StatusOr<v1::GetUnitResponse> got = client_.GetUnit(request);
      if (!got.ok()) return got.status();
      return got->unit().display_name();
    });
  }

  std::string TaskTitle(const std::string& task) override {
    return Lookup(task, [this](const std::string& name) -> absl::StatusOr<std::string> {
      v1::GetTaskRequest request;
      request.set_name(name);
      absl::StatusOr<v1::GetTaskResponse> got = client_.GetTask(request);
      if (!got.ok()) return got.status();
      return got->task().title();
    });
  }

 private:
  static constexpr int kMaxLookups = 100;

  template <typename Get>
  std::string Lookup(const std::string& name, const Get& get) {
    if (auto it = cache_.find(name); it != cache_.end()) return it->second;
    std::string found;
    if (lookups_ < kMaxLookups) {
      ++lookups_;
      absl::StatusOr<std::string> got = get(name);
      if (got.ok()) {
        found = *got;
      } else if (absl::IsUnavailable(got.status()) || absl::IsDeadlineExceeded(got.status())) {
        lookups_ = kMaxLookups;  // The server is not answering: no more waits.
      }
    }
    cache_[name] = found;
    return found;
  }

  Client& client_;
  int lookups_ = 0;
  absl::flat_hash_map<std::string, std::string> cache_;
};

// "H40.3" or "units/H40.3" -> "units/H40.3".
std::string UnitNameOf(absl::string_view code_or_name) {
  return absl::StartsWith(code_or_name, "units/") ? std::string(code_or_name)
                                                  : absl::StrCat("units/", code_or_name);
}

// The field `validate_only` of a mutating request (AIP-163), or null.
const FieldDescriptor* ValidateOnlyField(const google::protobuf::Descriptor& request) {
  const FieldDescriptor* field = request.FindFieldByName("validate_only");
  return field != nullptr && field->type() == FieldDescriptor::TYPE_BOOL ? field : nullptr;
}

bool IsTaskMethod(const google::protobuf::MethodDescriptor& method, absl::string_view name) {
  return method.service()->full_name() == "d06.v1.TaskService" && method.name() == name;
}

}  // namespace

std::string RpcCommand::Name() const { return absl::StrCat(command_.group, " ", command_.verb); }

std::string RpcCommand::Summary() const { return SummaryOf(CommentOf(*command_.method)); }

std::string RpcCommand::Help() const {
  const google::protobuf::MethodDescriptor& method = *command_.method;
  const google::protobuf::Descriptor& request = *method.input_type();
  const FieldDescriptor* positional = PositionalField(request);
  std::string help = absl::StrCat("Usage: d06ctl ", Name());
  if (positional != nullptr) {
    absl::StrAppend(&help, " [", absl::AsciiStrToUpper(positional->name()), "]");
  }
  absl::StrAppend(&help, " [--FIELD VALUE ...] [--json '{...}' | --json @FILE]\n", "       (",
                  method.full_name(), method.server_streaming() ? ", streaming" : "", ")\n\n",
                  CommentOf(method), "\n\n");
  if (positional != nullptr) {
    absl::StrAppend(&help, "The ", positional->name(), " may be given without its flag, as ",
                    absl::AsciiStrToUpper(positional->name()), ".\n");
  }
  if (TakesUnitFlags()) {
    absl::StrAppend(
        &help,
        "\nUnits (unit codes or units/ names; repeat for more):\n"
        "  --lead UNIT          the lead unit (đơn vị chủ trì)\n"
        "  --support UNIT       a coordinating unit (đơn vị phối hợp)\n",
        IsTaskMethod(method, "UpdateTask")
            ? "Given to update, each is assigned after the update with CreateAssignment\n"
              "(each its own write). The task may be named as the first argument, and\n"
              "update_mask defaults to the task fields given.\n"
            : "They are created with the task, in the same write.\n");
  }
  if (ValidateOnlyField(request) != nullptr) {
    absl::StrAppend(&help,
                    "\n--dry-run: d06d checks the request as if applying it (validate_only)\n"
                    "and answers as if it had, but writes nothing.\n");
  }
  absl::StrAppend(&help, "\nFlags (fields of ", request.full_name(), "):\n", FlagsHelp(request));
  if (method.server_streaming() && ChunkField(*method.output_type()) != nullptr) {
    absl::StrAppend(&help, "\nThe file is written to stdout, or to --out FILE.\n");
  } else if (ListField(*method.output_type()) != nullptr &&
             method.input_type()->FindFieldByName("page_token") != nullptr) {
    absl::StrAppend(&help, "\n--all prints every page.\n");
  }
  return help;
}

std::vector<std::string> RpcCommand::Flags() const {
  std::vector<std::string> flags = FlagNames(*command_.method->input_type());
  flags.push_back("--json");
  if (TakesUnitFlags()) {
    flags.push_back("--lead");
    flags.push_back("--support");
  }
  return flags;
}

bool RpcCommand::TakesUnitFlags() const {
  return IsTaskMethod(*command_.method, "CreateTask") ||
         IsTaskMethod(*command_.method, "UpdateTask");
}

int RpcCommand::Run(const std::vector<std::string>& args, Context& context) {
  const google::protobuf::MethodDescriptor& method = *command_.method;
  std::unique_ptr<Message> request = catalog_.NewMessage(*method.input_type());
  // --lead and --support (tasks create|update), and the task named first (tasks update).
  std::vector<std::string> request_args;
  std::vector<std::pair<std::string, bool>> units;  // unit name, lead
  std::string task_name;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool lead = arg == "--lead" || absl::StartsWith(arg, "--lead=");
    const bool support = arg == "--support" || absl::StartsWith(arg, "--support=");
    if (TakesUnitFlags() && (lead || support)) {
      const size_t eq = arg.find('=');
      if (eq == std::string::npos && i + 1 >= args.size()) {
        return context.UsageError(absl::StrCat(arg, ": needs a unit code"), Name());
      }
      units.emplace_back(UnitNameOf(eq != std::string::npos ? arg.substr(eq + 1) : args[++i]),
                         lead);
    } else if (IsTaskMethod(method, "UpdateTask") && task_name.empty() &&
               absl::StartsWith(arg, "tasks/") &&
               (i == 0 || !absl::StartsWith(args[i - 1], "--") ||
                absl::StrContains(args[i - 1], '='))) {
      task_name = arg;
    } else {
      request_args.push_back(arg);
    }
  }
  absl::Status built = BuildRequest(request_args, request.get());
  if (!built.ok()) return context.UsageError(built.message(), Name());
  const FieldDescriptor* validate_only = ValidateOnlyField(*method.input_type());
  if (context.options.dry_run) {
    if (validate_only == nullptr) {
      return context.UsageError(
          absl::StrCat("--dry-run: '", Name(), "' changes nothing; only changes can be tried"),
          Name());
    }
    request->GetReflection()->SetBool(request.get(), validate_only, true);
  }
  absl::StatusOr<std::unique_ptr<Client>> client = context.Connect();
  if (!client.ok()) return context.UsageError(client.status().message());
  ClientNames names(**client);
  table_.columns = context.options.columns;
  table_.sort_by = context.options.sort_by;
  table_.width = OutputWidth();
  table_.names = &names;
  int code = 0;
  if (TakesUnitFlags()) {
    code = RunTaskWithUnits(*request, task_name, units, **client, context);
  } else {
    code = method.server_streaming() ? RunStream(*request, **client, context)
                                     : RunUnary(*request, **client, context);
  }
  table_.names = nullptr;  // `names` ends here.
  if (code == 0 && context.options.dry_run) {
    context.err << "(dry run: d06d validated the request; nothing was written)\n";
  }
  return code;
}

int RpcCommand::RunTaskWithUnits(Message& request, const std::string& task_name,
                                 const std::vector<std::pair<std::string, bool>>& units,
                                 Client& client, Context& context) {
  const google::protobuf::Descriptor& type = *request.GetDescriptor();
  const Reflection* r = request.GetReflection();
  Message* task = r->MutableMessage(&request, type.FindFieldByName("task"));
  const google::protobuf::Descriptor& assignment_type =
      *catalog_.pool().FindMessageTypeByName("d06.v1.Assignment");
  const google::protobuf::EnumDescriptor& roles =
      *catalog_.pool().FindEnumTypeByName("d06.v1.AssignmentRole");
  auto fill = [&](Message* assignment, const std::string& unit, bool lead) {
    assignment->GetReflection()->SetString(assignment, assignment_type.FindFieldByName("unit"),
                                           unit);
    assignment->GetReflection()->SetEnumValue(
        assignment, assignment_type.FindFieldByName("role"),
        roles.FindValueByName(lead ? "ASSIGNMENT_ROLE_LEAD" : "ASSIGNMENT_ROLE_SUPPORT")->number());
  };
  if (IsTaskMethod(*command_.method, "CreateTask")) {
    // Created with the task, in its one write.
    for (const auto& [unit, lead] : units) {
      fill(r->AddMessage(&request, type.FindFieldByName("assignments")), unit, lead);
    }
    return RunUnary(request, client, context);
  }
  // UpdateTask: the task's own fields (update_mask: those given, unless set), then each
  // unit assigned by CreateAssignment.
  const Reflection* tr = task->GetReflection();
  const FieldDescriptor* name_field = task->GetDescriptor()->FindFieldByName("name");
  if (!task_name.empty()) tr->SetString(task, name_field, task_name);
  const std::string name = tr->GetString(*task, name_field);
  if (name.empty()) {
    return context.UsageError("give the task: tasks update tasks/ID (or --task.name)", Name());
  }
  Message* mask = r->MutableMessage(&request, type.FindFieldByName("update_mask"));
  const FieldDescriptor* paths = mask->GetDescriptor()->FindFieldByName("paths");
  if (mask->GetReflection()->FieldSize(*mask, paths) == 0) {
    std::vector<const FieldDescriptor*> set;
    tr->ListFields(*task, &set);
    for (const FieldDescriptor* field : set) {
      if (field->name() != "name" && field->name() != "etag") {
        mask->GetReflection()->AddString(mask, paths, field->name());
      }
    }
  }
  if (mask->GetReflection()->FieldSize(*mask, paths) > 0 || units.empty()) {
    if (int code = RunUnary(request, client, context); code != 0) return code;
  }
  const google::protobuf::MethodDescriptor& create =
      *catalog_.pool().FindMethodByName("d06.v1.TaskService.CreateAssignment");
  for (const auto& [unit, lead] : units) {
    std::unique_ptr<Message> add = catalog_.NewMessage(*create.input_type());
    const google::protobuf::Descriptor& add_type = *add->GetDescriptor();
    add->GetReflection()->SetString(add.get(), add_type.FindFieldByName("parent"), name);
    fill(add->GetReflection()->MutableMessage(add.get(), add_type.FindFieldByName("assignment")),
         unit, lead);
    add->GetReflection()->SetBool(add.get(), add_type.FindFieldByName("validate_only"),
                                  context.options.dry_run);
    std::unique_ptr<Message> added = catalog_.NewMessage(*create.output_type());
    absl::Status status = client.CallMethod(create, *add, added.get());
    if (!status.ok()) return context.Fail(status);
    if (absl::Status printed = PrintMessage(*added, context.options.output, context.out, table_);
        !printed.ok()) {
      return context.UsageError(printed.message(), Name());
    }
  }
  return 0;
}

int RpcCommand::RunUnary(Message& request, Client& client, Context& context) {
  const google::protobuf::MethodDescriptor& method = *command_.method;
  std::unique_ptr<Message> response = catalog_.NewMessage(*method.output_type());
  absl::Status status = client.CallMethod(method, request, response.get());
  if (!status.ok()) return context.Fail(status);

  const FieldDescriptor* list = ListField(*method.output_type());
  const FieldDescriptor* next_token = method.output_type()->FindFieldByName("next_page_token");
  const FieldDescriptor* page_token = method.input_type()->FindFieldByName("page_token");
  const bool pages = list != nullptr && next_token != nullptr && page_token != nullptr;
  if (pages && context.options.all_pages) {
    std::unique_ptr<Message> page = catalog_.NewMessage(*method.output_type());
    std::string token = response->GetReflection()->GetString(*response, next_token);
    while (!token.empty()) {
      request.GetReflection()->SetString(&request, page_token, token);
      status = client.CallMethod(method, request, page.get());
      if (!status.ok()) return context.Fail(status);
      response->MergeFrom(*page);  // Appends the page's elements.
      token = page->GetReflection()->GetString(*page, next_token);
    }
    response->GetReflection()->ClearField(response.get(), next_token);
  }
  const FieldDescriptor* secret = SecretField(*method.output_type());
  if (secret != nullptr &&
      (context.options.output == OutputFormat::kTable ||
       context.options.output == OutputFormat::kWide) &&
      !response->GetReflection()->GetString(*response, secret).empty()) {
    // A new credential: shown once, apart from the rest, so that it is not missed.
    const std::string value = response->GetReflection()->GetString(*response, secret);
    response->GetReflection()->ClearField(response.get(), secret);
    (void)PrintMessage(*response, context.options.output, context.out, table_);
    context.out << "\nThe token (shown only this once; d06 keeps only its hash). Store it in "
                   "a file only you\ncan read and use it with --token_file FILE (or "
                   "D06_TOKEN):\n\n    "
                << value << "\n\n";
    return 0;
  }
  if (absl::Status printed = PrintMessage(*response, context.options.output, context.out, table_);
      !printed.ok()) {
    return context.UsageError(printed.message(), Name());
  }
  if (pages && (context.options.output == OutputFormat::kTable ||
                context.options.output == OutputFormat::kWide)) {
    const std::string token = response->GetReflection()->GetString(*response, next_token);
    if (!token.empty()) {
      context.err << "More: --page_token " << token << " (or --all for every page)\n";
    }
  }
  return 0;
}

int RpcCommand::RunStream(const Message& request, Client& client, Context& context) {
  const google::protobuf::MethodDescriptor& method = *command_.method;
  std::unique_ptr<Message> prototype = catalog_.NewMessage(*method.output_type());
  const FieldDescriptor* chunk = ChunkField(*method.output_type());
  std::ofstream file;
  std::ostream* out = &context.out;
  // An .xlsx export is binary: never onto a terminal.
  const FieldDescriptor* format = request.GetDescriptor()->FindFieldByName("format");
  if (chunk != nullptr && context.options.out_file.empty() && format != nullptr &&
      format->enum_type() != nullptr &&
      request.GetReflection()->GetEnum(request, format)->name() == "EXPORT_FORMAT_XLSX" &&
      &context.out == &std::cout && isatty(STDOUT_FILENO)) {
    return context.UsageError(
        "an .xlsx file is binary: write it with --out FILE.xlsx (or "
        "redirect stdout to a file)");
  }
  if (chunk != nullptr && !context.options.out_file.empty()) {
    file.open(context.options.out_file, std::ios::binary | std::ios::trunc);
    if (!file) {
      return context.UsageError(absl::StrCat("--out: cannot write ", context.options.out_file));
    }
    out = &file;
  }
  absl::Status status =
      client.CallStreamMethod(method, request, *prototype, [&](const Message& message) {
        if (chunk != nullptr) {
          *out << message.GetReflection()->GetString(message, chunk);
        } else if (context.options.output == OutputFormat::kJson) {
          *out << ToJsonLine(message) << "\n";
        } else {
          (void)PrintMessage(message, context.options.output, *out, table_);
          if (context.options.output == OutputFormat::kYaml) *out << "---\n";
        }
        out->flush();
      });
  if (!status.ok()) return context.Fail(status);
  if (file.is_open()) {
    file.close();
    if (!file) return context.Fail(absl::DataLossError("writing --out failed"));
  }
  return 0;
}

}  // namespace d06::ctl
