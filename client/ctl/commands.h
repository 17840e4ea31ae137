// The command set of d06ctl: a generated command per RPC of the embedded descriptor set,
// plus the hand-written `watch`, `import`, `config`, `version` and `completion`; the help
// of groups and of everything, and "did you mean" for a mistyped command.
// Immutable after construction; thread-safe for reading.
#ifndef D06_CLIENT_CTL_COMMANDS_H_
#define D06_CLIENT_CTL_COMMANDS_H_

#include <memory>
#include <string>
#include <vector>

#include "client/ctl/catalog.h"
#include "client/ctl/command.h"

namespace d06::ctl {

class CommandSet {
 public:
  // `catalog` must outlive this.
  explicit CommandSet(const Catalog& catalog);

  // The command named by the first words of `words` (`tasks get`, `watch`,
  // `TaskService GetTask`, `d06.v1.TaskService.GetTask`); *consumed is how many words
  // named it. Null if none.
  Command* Find(const std::vector<std::string>& words, size_t* consumed) const;

  // Every command: the generated ones, then the hand-written ones.
  std::vector<const Command*> All() const;

  // `d06ctl help`: the overview with every group and command.
  std::string Overview() const;
  // The help of a group ("tasks"): the service comment and its commands; "" if unknown.
  std::string GroupHelp(const std::string& group) const;
  // " (did you mean ...?)" for a mistyped first word, or for a mistyped verb of `group`.
  std::string SuggestCommand(const std::string& word) const;
  std::string SuggestVerb(const std::string& group, const std::string& word) const;

 private:
  const Catalog& catalog_;
  std::vector<std::unique_ptr<Command>> commands_;  // Generated, then hand-written.
};

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_COMMANDS_H_
