#include "client/ctl/rpc_command.h"

#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/ctl/output.h"
#include "client/ctl/request_flags.h"

namespace d06::ctl {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

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
  absl::StrAppend(&help, "Flags (fields of ", request.full_name(), "):\n", FlagsHelp(request));
  if (method.server_streaming() && ChunkField(*method.output_type()) != nullptr) {
    absl::StrAppend(&help, "\nThe file is written to stdout, or to --out FILE.\n");
  } else if (ListField(*method.output_type()) != nullptr &&
             method.input_type()->FindFieldByName("page_token") != nullptr) {
    absl::StrAppend(&help, "\n--all prints every page.\n");
  }
  return help;
}

int RpcCommand::Run(const std::vector<std::string>& args, Context& context) {
  const google::protobuf::MethodDescriptor& method = *command_.method;
  std::unique_ptr<Message> request = catalog_.NewMessage(*method.input_type());
  absl::Status built = BuildRequest(args, request.get());
  if (!built.ok()) return context.UsageError(built.message(), Name());
  absl::StatusOr<std::unique_ptr<Client>> client = context.Connect();
  if (!client.ok()) return context.UsageError(client.status().message());
  return method.server_streaming() ? RunStream(*request, **client, context)
                                   : RunUnary(*request, **client, context);
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
  if (secret != nullptr && context.options.output == OutputFormat::kTable &&
      !response->GetReflection()->GetString(*response, secret).empty()) {
    // A new credential: shown once, apart from the rest, so that it is not missed.
    const std::string value = response->GetReflection()->GetString(*response, secret);
    response->GetReflection()->ClearField(response.get(), secret);
    PrintMessage(*response, context.options.output, context.out);
    context.out << "\nThe token (shown only this once; d06 keeps only its hash). Store it in "
                   "a file only you\ncan read and use it with --token_file FILE (or "
                   "D06_TOKEN):\n\n    "
                << value << "\n\n";
    return 0;
  }
  PrintMessage(*response, context.options.output, context.out);
  if (pages && context.options.output == OutputFormat::kTable) {
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
          PrintMessage(message, context.options.output, *out);
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
