#include "client/ctl/commands.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/ctl/config_command.h"
#include "client/ctl/display_width.h"
#include "client/ctl/rpc_command.h"
#include "client/ctl/suggest.h"
#include "client/ctl/version_command.h"
#include "client/ctl/watch_command.h"

namespace d06::ctl {
namespace {

constexpr int kSummaryColumn = 26;
// The help fits an 80-column terminal: a summary longer than the space left of the
// line goes on over further lines, indented to its column.
constexpr int kLineColumns = 80;

std::string Indent(const std::string& text, const std::string& indent) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::StrAppend(&out, line.empty() ? "" : indent, line, "\n");
  }
  return out;
}

std::string CommandLine(const std::string& name, const std::string& summary) {
  std::string line = absl::StrCat("  ", name);
  if (line.size() + 2 > kSummaryColumn) {
    absl::StrAppend(&line, "\n", std::string(kSummaryColumn, ' '));
  } else {
    line.resize(kSummaryColumn, ' ');
  }
  const std::vector<std::string> parts = WrapToWidth(summary, kLineColumns - kSummaryColumn);
  return absl::StrCat(
      line, absl::StrJoin(parts, absl::StrCat("\n", std::string(kSummaryColumn, ' '))), "\n");
}

}  // namespace

CommandSet::CommandSet(const Catalog& catalog) : catalog_(catalog) {
  for (const CommandGroup& group : catalog.groups()) {
    for (const MethodCommand& command : group.commands) {
      commands_.push_back(std::make_unique<RpcCommand>(catalog, command));
    }
  }
  commands_.push_back(std::make_unique<WatchCommand>());
  commands_.push_back(std::make_unique<ImportCommand>());
  commands_.push_back(std::make_unique<ConfigCommand>());
  commands_.push_back(std::make_unique<VersionCommand>());
  commands_.push_back(std::make_unique<CompletionCommand>(*this));
}

std::vector<const Command*> CommandSet::All() const {
  std::vector<const Command*> all;
  for (const auto& command : commands_) all.push_back(command.get());
  return all;
}

std::string CommandSet::SuggestCommand(const std::string& word) const {
  std::vector<std::string> words = {"help"};
  for (const CommandGroup& group : catalog_.groups()) words.push_back(group.name);
  for (const auto& command : commands_) {
    if (dynamic_cast<RpcCommand*>(command.get()) == nullptr) words.push_back(command->Name());
  }
  return DidYouMean(word, words);
}

std::string CommandSet::SuggestVerb(const std::string& group, const std::string& word) const {
  std::vector<std::string> verbs;
  if (const CommandGroup* found = catalog_.FindGroup(group); found != nullptr) {
    for (const MethodCommand& command : found->commands) verbs.push_back(command.verb);
  }
  const std::string match = ClosestMatch(word, verbs);
  return match.empty() ? "" : absl::StrCat(" (did you mean \"", group, " ", match, "\"?)");
}

Command* CommandSet::Find(const std::vector<std::string>& words, size_t* consumed) const {
  if (words.empty()) return nullptr;
  for (const auto& command : commands_) {
    if (command->Name() == words[0]) {
      *consumed = 1;
      return command.get();
    }
  }
  bool used_verb = false;
  const MethodCommand* found =
      catalog_.Find(words[0], words.size() > 1 ? words[1] : "", &used_verb);
  if (found == nullptr) return nullptr;
  *consumed = used_verb ? 2 : 1;
  for (const auto& command : commands_) {
    auto* rpc = dynamic_cast<RpcCommand*>(command.get());
    if (rpc != nullptr && &rpc->method() == found->method) return rpc;
  }
  return nullptr;
}

std::string CommandSet::Overview() const {
  std::string out =
      "d06ctl: the command-line client of d06 (Đề án 06 task tracking).\n\n"
      "Usage: d06ctl GROUP COMMAND [NAME] [--FIELD VALUE ...] [options]\n"
      "       d06ctl SERVICE METHOD ...   (e.g. d06ctl TaskService GetTask tasks/7)\n"
      "       d06ctl help [GROUP [COMMAND]] | GROUP [COMMAND] --help\n\n"
      "The commands are generated from the API's descriptors: each RPC is one, with a\n"
      "flag per request field (its .proto comment is the help).\n";
  for (const CommandGroup& group : catalog_.groups()) {
    absl::StrAppend(&out, "\n", group.name, " (", group.service->full_name(), "):\n");
    for (const MethodCommand& command : group.commands) {
      absl::StrAppend(&out, CommandLine(command.verb, SummaryOf(CommentOf(*command.method))));
    }
  }
  absl::StrAppend(&out, "\nOther commands:\n");
  for (const auto& command : commands_) {
    if (dynamic_cast<RpcCommand*>(command.get()) == nullptr) {
      absl::StrAppend(&out, CommandLine(command->Name(), command->Summary()));
    }
  }
  absl::StrAppend(&out, "\n", GlobalOptionsHelp(),
                  "\nExit codes: 0 success; 1..16 the gRPC status code of a failed call\n"
                  "(3 INVALID_ARGUMENT, 5 NOT_FOUND, 9 FAILED_PRECONDITION, 14 UNAVAILABLE,\n"
                  "16 UNAUTHENTICATED, ...); 64 a command-line usage error.\n");
  return out;
}

std::string CommandSet::GroupHelp(const std::string& name) const {
  const CommandGroup* group = catalog_.FindGroup(name);
  if (group == nullptr) return "";
  std::string out =
      absl::StrCat("Usage: d06ctl ", group->name, " COMMAND [NAME] [--FIELD VALUE ...]\n\n",
                   group->service->full_name(), ":\n", Indent(CommentOf(*group->service), "  "),
                   "\nCommands:\n");
  for (const MethodCommand& command : group->commands) {
    absl::StrAppend(&out, CommandLine(command.verb, SummaryOf(CommentOf(*command.method))));
  }
  absl::StrAppend(&out, "\nRun 'd06ctl ", group->name, " COMMAND --help' for its flags.\n");
  return out;
}

int RunCtl(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  absl::StatusOr<std::unique_ptr<Catalog>> catalog = Catalog::Load(EmbeddedDescriptorSet());
  if (!catalog.ok()) {
    err << "d06ctl: " << catalog.status().message() << "\n";
    return static_cast<int>(absl::StatusCode::kInternal);
  }
  CommandSet commands(**catalog);
  absl::StatusOr<ParsedCommandLine> parsed = ParseGlobalOptions(args);
  Context context{**catalog, {}, out, err};
  if (!parsed.ok()) return context.UsageError(parsed.status().message());
  context.options = parsed->options;
  std::vector<std::string> words = std::move(parsed->words);

  bool help = context.options.help;
  if (!words.empty() && words[0] == "help") {
    help = true;
    words.erase(words.begin());
  }
  if (words.empty()) {
    if (help) {
      out << FitLinesToWidth(commands.Overview(), kLineColumns);
      return 0;
    }
    err << FitLinesToWidth(commands.Overview(), kLineColumns);
    return kExitUsageError;
  }
  size_t consumed = 0;
  Command* command = commands.Find(words, &consumed);
  if (command == nullptr) {
    const std::string group_help = commands.GroupHelp(words[0]);
    if (!group_help.empty() && (help || words.size() == 1)) {
      (help ? out : err) << FitLinesToWidth(group_help, kLineColumns);
      return help ? 0 : kExitUsageError;
    }
    if (!group_help.empty()) {
      return context.UsageError(absl::StrCat("unknown command \"", words[0], " ", words[1], "\"",
                                             commands.SuggestVerb(words[0], words[1])),
                                words[0]);
    }
    return context.UsageError(
        absl::StrCat("unknown command \"", words[0], "\"", commands.SuggestCommand(words[0])));
  }
  if (help) {
    out << FitLinesToWidth(command->Help(), kLineColumns);
    return 0;
  }
  words.erase(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(consumed));
  return command->Run(words, context);
}

}  // namespace d06::ctl
