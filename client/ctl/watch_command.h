// The hand-written commands of d06ctl, where generation cannot serve:
//   watch   follows the change feed (Client::Watch, which resumes by itself after a
//           disconnect) and prints a line per event until Ctrl-C (exit 0);
//   import  runs the CSV import (client/ctl/import.h) and exits with what it returns.
#ifndef D06_CLIENT_CTL_WATCH_COMMAND_H_
#define D06_CLIENT_CTL_WATCH_COMMAND_H_

#include <string>
#include <vector>

#include "client/ctl/command.h"

namespace d06::ctl {

// d06ctl watch [--from REV] [--task tasks/7] [--unit-tree units/H37] [--action ACTION ...]
// Text: "REV.INDEX  TIME(+07:00)  ACTOR  ACTION  RESOURCE  [OLD→NEW]  [deadline A→B]
// [REASON]"; -o json: one event object per line. A resume is noted on stderr.
class WatchCommand final : public Command {
 public:
  std::string Name() const override { return "watch"; }
  std::vector<std::string> Flags() const override;
  std::string Summary() const override;
  std::string Help() const override;
  int Run(const std::vector<std::string>& args, Context& context) override;
};

// d06ctl import units|tasks FILE.csv ...
class ImportCommand final : public Command {
 public:
  std::string Name() const override { return "import"; }
  std::string Summary() const override;
  std::string Help() const override;
  int Run(const std::vector<std::string>& args, Context& context) override;
};

// One event as a watch line (without newline).
std::string EventLine(const v1::Event& event);

}  // namespace d06::ctl

#endif  // D06_CLIENT_CTL_WATCH_COMMAND_H_
