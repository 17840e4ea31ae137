#include "client/ctl/version_command.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/ctl/commands.h"
#include "client/ctl/config.h"
#include "client/ctl/global_options.h"
#include "client/ctl/output.h"
#include "client/ctl/rpc_command.h"

#ifndef D06_VERSION
#define D06_VERSION "unknown"
#endif
#ifndef D06_REVISION
#define D06_REVISION "unknown"
#endif

namespace d06::ctl {

const char* ClientVersion() { return D06_VERSION; }
const char* ClientRevision() { return D06_REVISION; }

std::string VersionCommand::Summary() const {
  return "Prints the build of d06ctl and of the server it talks to.";
}

std::string VersionCommand::Help() const {
  return "Usage: d06ctl version [--client] [-o json]\n\n"
         "Prints d06ctl's release and source revision, then the server's (from\n"
         "AccessService.GetServerInfo, which any authenticated caller may call) and its\n"
         "address. --client: only d06ctl's, without calling the server.\n";
}

int VersionCommand::Run(const std::vector<std::string>& args, Context& context) {
  bool client_only = false;
  for (const std::string& arg : args) {
    if (arg != "--client") return context.UsageError(absl::StrCat("unknown flag ", arg), Name());
    client_only = true;
  }
  const bool json = context.options.output == OutputFormat::kJson;
  const std::string client_json = absl::StrCat("{\"version\": \"", ClientVersion(),
                                               "\", \"revision\": \"", ClientRevision(), "\"}");
  if (client_only) {
    if (json) {
      context.out << "{\"client\": " << client_json << "}\n";
    } else {
      context.out << "Client: d06ctl " << ClientVersion() << " (" << ClientRevision() << ")\n";
    }
    return 0;
  }
  absl::StatusOr<ClientOptions> options = ResolveClientOptions(context.options);
  if (!options.ok()) return context.UsageError(options.status().message());
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(*options);
  if (!client.ok()) return context.UsageError(client.status().message());
  const google::protobuf::MethodDescriptor& method =
      *context.catalog.pool().FindMethodByName("d06.v1.AccessService.GetServerInfo");
  std::unique_ptr<google::protobuf::Message> request =
      context.catalog.NewMessage(*method.input_type());
  std::unique_ptr<google::protobuf::Message> response =
      context.catalog.NewMessage(*method.output_type());
  if (!json) {
    context.out << "Client: d06ctl " << ClientVersion() << " (" << ClientRevision() << ")\n";
    context.out.flush();
  }
  const absl::Status status = (*client)->CallMethod(method, *request, response.get());
  if (!status.ok()) return context.Fail(status);
  const google::protobuf::Descriptor& type = *response->GetDescriptor();
  const std::string version =
      response->GetReflection()->GetString(*response, type.FindFieldByName("version"));
  const std::string revision =
      response->GetReflection()->GetString(*response, type.FindFieldByName("revision"));
  if (json) {
    context.out << "{\"client\": " << client_json << ", \"server\": " << ToJsonLine(*response)
                << ", \"address\": \"" << options->target << "\"}\n";
  } else {
    context.out << "Server: d06d " << version << " (" << revision << ") at " << options->target
                << "\n";
  }
  return 0;
}

std::string CompletionCommand::Summary() const {
  return "Prints a shell completion script: bash or zsh.";
}

std::string CompletionCommand::Help() const {
  return "Usage: d06ctl completion bash|zsh\n\n"
         "Prints a script that completes d06ctl's groups, commands and flags (generated\n"
         "from the same descriptors as the commands). Load it in the shell:\n"
         "  bash: source <(d06ctl completion bash)   (or save it in\n"
         "        /etc/bash_completion.d/d06ctl)\n"
         "  zsh:  source <(d06ctl completion zsh)\n";
}

namespace {

// Words for a bash `case` pattern or list: ours are [A-Za-z0-9._-] only.
std::string Words(const std::vector<std::string>& words) { return absl::StrJoin(words, " "); }

}  // namespace

std::string CompletionCommand::BashScript() const {
  // The groups (first words) with their verbs, and each command's flags.
  std::map<std::string, std::vector<std::string>> verbs;
  std::vector<std::string> first = {"help"};
  std::map<std::string, std::vector<std::string>> flags;  // "tasks create" or "watch"
  for (const Command* command : commands_.All()) {
    const std::string name = command->Name();
    std::vector<std::string> words = absl::StrSplit(name, ' ');
    if (words.size() == 2) {
      if (verbs.find(words[0]) == verbs.end()) first.push_back(words[0]);
      verbs[words[0]].push_back(words[1]);
    } else {
      first.push_back(name);
    }
    flags[name] = command->Flags();
  }
  verbs["completion"] = {"bash", "zsh"};
  verbs["help"] = {};
  for (const auto& [group, unused] : verbs) {
    if (group != "help" && group != "completion") verbs["help"].push_back(group);
  }
  std::string script =
      "# d06ctl shell completion, generated by `d06ctl completion`.\n"
      "_d06ctl() {\n"
      "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" words=() i candidates=\"\"\n"
      "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
      "    case \"${COMP_WORDS[i]}\" in -*) ;; *) words+=(\"${COMP_WORDS[i]}\") ;; esac\n"
      "  done\n"
      "  if [[ \"$cur\" == -* ]]; then\n"
      "    case \"${words[0]} ${words[1]}\" in\n";
  for (const auto& [name, list] : flags) {
    if (list.empty()) continue;
    const bool single = name.find(' ') == std::string::npos;
    absl::StrAppend(&script, "      \"", name, single ? " " : "", "\"",
                    single ? absl::StrCat(" | \"", name, " \"*") : "", ") candidates=\"",
                    Words(list), "\" ;;\n");
  }
  absl::StrAppend(&script, "    esac\n    candidates=\"$candidates ", Words(GlobalFlagNames()),
                  "\"\n  else\n    case \"${#words[@]}:${words[0]}\" in\n      0:*) candidates=\"",
                  Words(first), "\" ;;\n");
  for (const auto& [group, list] : verbs) {
    absl::StrAppend(&script, "      1:", group, ") candidates=\"", Words(list), "\" ;;\n");
  }
  absl::StrAppend(&script,
                  "    esac\n  fi\n"
                  "  COMPREPLY=($(compgen -W \"$candidates\" -- \"$cur\"))\n"
                  "}\n"
                  "complete -F _d06ctl d06ctl\n");
  return script;
}

int CompletionCommand::Run(const std::vector<std::string>& args, Context& context) {
  if (args.size() != 1 || (args[0] != "bash" && args[0] != "zsh")) {
    return context.UsageError("completion: give the shell, bash or zsh", Name());
  }
  if (args[0] == "zsh") {
    context.out << "#compdef d06ctl\n"
                   "# zsh runs the bash completion through bashcompinit.\n"
                   "autoload -U +X bashcompinit && bashcompinit\n";
  }
  context.out << BashScript();
  return 0;
}

}  // namespace d06::ctl
