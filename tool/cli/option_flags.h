// pyrace's options on the command line: one flag per entry of runtime/options/options.inc
// (dashes for underscores: --on-deadlock), applied over PYRACE_OPTIONS.
#pragma once

#include <map>
#include <string>

#include <CLI/CLI.hpp>

#include "runtime/analysis/analyzer.h"
#include "runtime/options/options.h"

namespace pyrace {

// The values given on the command line, by option name (underscores).
using OptionArgs = std::map<std::string, std::string>;

// Registers every user-facing option of the table on app (trace_fd is internal).
void AddOptionFlags(CLI::App& app, OptionArgs* args);

// After parsing: drops the options the command line did not give.
void KeepGiven(const CLI::App& app, OptionArgs* args);

// Does the command-line flag `--name` (or `--name=...`) exist, and does it take a value
// from the next argument? Used to find where pyrace's arguments end in `run`.
bool IsOptionFlag(std::string_view flag, bool* takes_value);

// Effective options: defaults, then env PYRACE_OPTIONS, then the command line. False with
// *error on a bad key or value (a choice outside its vocabulary names the valid ones).
bool ResolveOptions(const OptionArgs& args, Options* opts, std::string* error);

AnalysisOptions ToAnalysisOptions(const Options& opts);

}  // namespace pyrace
