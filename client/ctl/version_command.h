// Two commands about d06ctl itself:
//   d06ctl version [--client]   this client's build, and the server's (GetServerInfo);
//                               -o json for scripts
//   d06ctl completion bash|zsh  a shell completion script, generated from the command
//                               set (groups, commands, each command's flags), e.g.
//                               `source <(d06ctl completion bash)`
#ifndef D06_CLIENT_CTL_VERSION_COMMAND_H_
#define D06_CLIENT_CTL_VERSION_COMMAND_H_

#include <string>
#include <vector>

#include "client/ctl/command.h"

namespace d06::ctl {

class CommandSet;

class VersionCommand final : public Command {
 public:
  std::string Name() const override { return "version"; }
  std::string Summary() const override;
  std::string Help() const override;
  std::vector<std::string> Flags() const override { return {"--client"}; }
  int Run(const std::vector<std::string>& args, Context& context) override;
};

class CompletionCommand final : public Command {
 public:
  // `commands` must outlive this.
  explicit CompletionCommand(const CommandSet& commands) : commands_(commands) {}
  std::string Name() const override { return "completion"; }
  std::string Summary() const override;
  std::string Help() const override;
  int Run(const std::vector<std::string>& args, Context& context) override;

  // The bash script (zsh runs it through bashcompinit).
  std::string BashScript() const;

 private:
  const CommandSet& commands_;
};

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_VERSION_COMMAND_H_
