// d06ctl config: the contexts of the configuration file (client/ctl/config.h), as
// kubectl's `config` commands:
//   config set-context NAME [--address A] [--tls_ca F] [--tls_cert F --tls_key F]
//                           [--tls] [--tls_server_name N] [--token_file F]
//                           [--plaintext] [--actor X]
//       creates the context or changes the settings given (an empty value clears one);
//       the first context of a file becomes current;
//   config use-context NAME      makes it current;
//   config get-contexts          lists them, "*" marking the current one;
//   config current-context       prints the current one's name (exit 5 when none);
//   config delete-context NAME   removes it.
// Files given to set-context are stored as absolute paths. A token is never stored:
// set-context refuses --token (keep it in a file of mode 0600, given as --token_file).
#ifndef D06_CLIENT_CTL_CONFIG_COMMAND_H_
#define D06_CLIENT_CTL_CONFIG_COMMAND_H_

#include <string>
#include <vector>

#include "client/ctl/command.h"

namespace d06::ctl {

class ConfigCommand final : public Command {
 public:
  std::string Name() const override { return "config"; }
  std::string Summary() const override;
  std::string Help() const override;
  int Run(const std::vector<std::string>& args, Context& context) override;
};

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_CONFIG_COMMAND_H_
