#include "tool/cli/program_args.h"

#include <algorithm>

#include "tool/cli/option_flags.h"

namespace pyrace {
namespace {

bool TakesValue(const std::string& tok, const std::vector<std::string>& value_flags) {
  if (std::find(value_flags.begin(), value_flags.end(), tok) != value_flags.end()) return true;
  bool takes = false;
  return IsOptionFlag(tok, &takes) && takes;
}

}  // namespace

ProgramArgs SplitProgramArgs(const std::vector<std::string>& argv, const std::vector<std::string>& value_flags) {
  ProgramArgs p;
  size_t i = 0;
  for (; i < argv.size(); ++i) {
    const std::string& tok = argv[i];
    if (tok == "--") {
      ++i;
      if (i < argv.size()) p.script = argv[i++];
      break;
    }
    if (tok == "-m") {
      if (i + 1 < argv.size()) p.module = argv[i + 1];
      i += 2;
      break;
    }
    if (tok.size() > 2 && tok.compare(0, 2, "-m") == 0 && tok[2] != '-') {
      p.module = tok.substr(2);
      ++i;
      break;
    }
    if (tok.size() > 1 && tok[0] == '-') {
      p.tool_args.push_back(tok);
      if (TakesValue(tok, value_flags) && i + 1 < argv.size()) p.tool_args.push_back(argv[++i]);
      continue;
    }
    p.script = tok;
    ++i;
    break;
  }
  for (; i < argv.size(); ++i) p.args.push_back(argv[i]);
  return p;
}

std::vector<std::string> InterpreterArgs(const ProgramArgs& p) {
  std::vector<std::string> out;
  if (!p.module.empty()) {
    out = {"-m", p.module};
  } else {
    out = {p.script};
  }
  out.insert(out.end(), p.args.begin(), p.args.end());
  return out;
}

}  // namespace pyrace
