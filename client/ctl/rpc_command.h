// d06ctl's generated commands: one RpcCommand per method of the descriptor set, its
// request built from flags (request_flags.h), its response printed per -o (output.h).
//   --dry-run         sets the request's validate_only (refused on a command without it).
//   tasks create|update take --lead UNIT and --support UNIT (repeated).
//   unary:            one call (Client::CallMethod: request_id filled once, UNAVAILABLE
//                     retried with it); --all follows next_page_token with the same request
//                     and prints the pages as one list.
//   server streaming: a response type with a single bytes field (the CSV exports) writes
//                     the bytes to stdout or --out FILE; any other prints each message as
//                     it comes (JSON: one object per line).
#ifndef D06_CLIENT_CTL_RPC_COMMAND_H_
#define D06_CLIENT_CTL_RPC_COMMAND_H_

#include <string>
#include <utility>
#include <vector>

#include "client/ctl/catalog.h"
#include "client/ctl/command.h"
#include "client/ctl/table.h"

namespace d06::ctl {

class RpcCommand final : public Command {
 public:
  // `catalog` and `command` must outlive this.
  RpcCommand(const Catalog& catalog, const MethodCommand& command)
      : catalog_(catalog), command_(command) {}

  std::string Name() const override;
  std::string Summary() const override;
  std::string Help() const override;
  std::vector<std::string> Flags() const override;
  int Run(const std::vector<std::string>& args, Context& context) override;

  const google::protobuf::MethodDescriptor& method() const { return *command_.method; }

 private:
  // Whether the command takes --lead and --support (tasks create, tasks update).
  bool TakesUnitFlags() const;
  int RunUnary(google::protobuf::Message& request, Client& client, Context& context);
  // tasks create|update with the units of --lead and --support (unit names, true: lead).
  int RunTaskWithUnits(google::protobuf::Message& request, const std::string& task_name,
                       const std::vector<std::pair<std::string, bool>>& units, Client& client,
                       Context& context);
  int RunStream(const google::protobuf::Message& request, Client& client, Context& context);

  const Catalog& catalog_;
  const MethodCommand& command_;
  TableOptions table_;  // How this invocation prints tables (set by Run).
};

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_RPC_COMMAND_H_
