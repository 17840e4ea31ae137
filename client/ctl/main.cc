// d06ctl, the operators' command-line client of d06 (client/ctl/command.h).
#include <iostream>
#include <string>
#include <vector>

#include "client/ctl/command.h"

int main(int argc, char** argv) {
  return d06::ctl::RunCtl(std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr);
}
