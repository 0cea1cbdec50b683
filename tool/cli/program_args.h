// `pyrace run [options] script.py args...` / `pyrace run [options] -m module args...`:
// where pyrace's own arguments end and the program's begin. Everything from the script
// (or after `-m module`, or after `--`) belongs to the program, even when it looks like
// a pyrace option.
#pragma once

#include <string>
#include <vector>

namespace pyrace {

struct ProgramArgs {
  std::vector<std::string> tool_args;  // pyrace's own, in order
  std::string script;                  // empty when module is set
  std::string module;                  // `-m module`
  std::vector<std::string> args;       // the program's arguments after script/module
};

// value_flags: short flags of this subcommand that take a value ("-o" for record).
ProgramArgs SplitProgramArgs(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags);

// The child interpreter's arguments after `-c BOOTSTRAP`: "script args..." or
// "-m module args...".
std::vector<std::string> InterpreterArgs(const ProgramArgs& p);

}  // namespace pyrace
