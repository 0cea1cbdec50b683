#include "tool/cli/option_flags.h"

#include <cstdlib>
#include <cstring>

namespace pyrace {
namespace {

bool IsInternal(const OptionDesc& d) { return std::strcmp(d.name, "trace_fd") == 0; }

std::string Dashed(const char* name) {
  std::string s = name;
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

std::string Unquoted(const char* dflt) {
  std::string s = dflt;
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

bool InList(const std::string& value, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed) {
    if (value == a) return true;
  }
  return false;
}

bool CheckChoice(const char* name, const std::string& value, std::initializer_list<const char*> allowed,
                 std::string* error) {
  if (InList(value, allowed)) return true;
  *error = "bad value '" + value + "' for option " + name + " (expected one of:";
  for (const char* a : allowed) *error += std::string(" ") + a;
  *error += ")";
  return false;
}

bool CheckDetect(const std::string& value, std::string* error) {
  size_t i = 0;
  while (i <= value.size()) {
    size_t comma = value.find(',', i);
    std::string item = value.substr(i, comma == std::string::npos ? std::string::npos : comma - i);
    if (!CheckChoice("detect", item, {"races", "deadlocks"}, error)) return false;
    if (comma == std::string::npos) break;
    i = comma + 1;
  }
  return true;
}

bool CheckValues(const Options& o, std::string* error) {
  return CheckChoice("format", o.format, {"text", "json", "sarif"}, error) &&
         CheckChoice("on_deadlock", o.on_deadlock, {"exit", "continue"}, error) &&
         CheckChoice("lock_view", o.lock_view, {"instance", "class"}, error) && CheckDetect(o.detect, error);
}

}  // namespace

void AddOptionFlags(CLI::App& app, OptionArgs* args) {
  for (const OptionDesc& d : AllOptions()) {
    if (IsInternal(d)) continue;
    const std::string flag = "--" + Dashed(d.name);
    const std::string dflt = Unquoted(d.dflt);
    const std::string help = std::string(d.help) + (dflt.empty() ? "" : " [default: " + dflt + "]");
    std::string& slot = (*args)[d.name];
    if (std::strcmp(d.type, "bool") == 0) {
      // `--color` alone means true; `--color=false` is accepted too.
      app.add_flag(flag, slot, help);
    } else {
      app.add_option(flag, slot, help)->type_name(std::strcmp(d.type, "int") == 0 ? "INT" : "TEXT");
    }
  }
}

void KeepGiven(const CLI::App& app, OptionArgs* args) {
  for (auto it = args->begin(); it != args->end();) {
    if (app.count("--" + Dashed(it->first.c_str())) == 0) {
      it = args->erase(it);
    } else {
      ++it;
    }
  }
}

bool IsOptionFlag(std::string_view flag, bool* takes_value) {
  if (flag.substr(0, 2) != "--") return false;
  std::string_view name = flag.substr(2);
  const size_t eq = name.find('=');
  const bool inline_value = eq != std::string_view::npos;
  if (inline_value) name = name.substr(0, eq);
  for (const OptionDesc& d : AllOptions()) {
    if (IsInternal(d) || Dashed(d.name) != name) continue;
    *takes_value = !inline_value && std::strcmp(d.type, "bool") != 0;
    return true;
  }
  return false;
}

bool ResolveOptions(const OptionArgs& args, Options* opts, std::string* error) {
  if (const char* env = std::getenv("PYRACE_OPTIONS")) {
    if (!ParseOptionString(env, opts, error)) {
      *error = "PYRACE_OPTIONS: " + *error;
      return false;
    }
  }
  for (const auto& [name, value] : args) {
    if (!SetOption(name, value, opts, error)) return false;
  }
  return CheckValues(*opts, error);
}

AnalysisOptions ToAnalysisOptions(const Options& opts) {
  AnalysisOptions a;
  a.races = opts.detect.find("races") != std::string::npos;
  a.deadlocks = opts.detect.find("deadlocks") != std::string::npos;
  a.lock_class_view = opts.lock_view == "class";
  a.max_findings = opts.max_findings;
  return a;
}

}  // namespace pyrace
