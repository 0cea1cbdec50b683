// pyrace's options, generated from options.inc. Shared by the tool (command line and
// PYRACE_OPTIONS) and by the runtime inside the user's interpreter (which receives the
// effective options serialized in PYRACE_RUNTIME_OPTIONS).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pyrace {

struct Options {
#define PYRACE_OPTION_bool bool
#define PYRACE_OPTION_int int
#define PYRACE_OPTION_string std::string
#define PYRACE_OPTION(type, name, dflt, help) PYRACE_OPTION_##type name = dflt;
#include "runtime/options/options.inc"
#undef PYRACE_OPTION
#undef PYRACE_OPTION_bool
#undef PYRACE_OPTION_int
#undef PYRACE_OPTION_string
};

struct OptionDesc {
  const char* name;   // field name, with underscores
  const char* type;   // "bool", "int", "string"
  const char* dflt;   // default, as text
  const char* help;
};

// The table itself, for --help and the command-line parser.
const std::vector<OptionDesc>& AllOptions();

// Applies "key=value key2=value2" (separated by spaces or colons, TSan's syntax; keys
// may use '-' or '_'). Returns false and sets *error on an unknown key or a bad value;
// options before the bad one stay applied.
bool ParseOptionString(std::string_view text, Options* opts, std::string* error);

// Sets one option by name from text. Same error contract.
bool SetOption(std::string_view key, std::string_view value, Options* opts, std::string* error);

// The inverse of ParseOptionString for every option that differs from its default.
std::string SerializeOptions(const Options& opts);

}  // namespace pyrace
