#include "tool/cli/option_flags.h"

#include <cstdlib>
#include <cstring>

namespace pyrace {
namespace {

bool IsInternal(const OptionDesc& d) {
  return std::strcmp(d.name, "trace_fd") == 0 || std::strcmp(d.name, "trace_socket") == 0;
}

std::string Dashed(const char* name) {
  std::string s = name;
  for (char& c : s) {
    if (c == '_') c = '-';
  }
  return s;
}

}  // namespace

void AddOptionFlags(CLI::App& app, OptionArgs* args) {
  for (const OptionDesc& d : AllOptions()) {
    if (IsInternal(d)) continue;
    const std::string flag = "--" + Dashed(d.name);
    std::string help = d.help;
    if (!d.choices.empty()) {
      help += std::strcmp(d.type, "choices") == 0 ? " One or more of (comma-separated):" : " One of:";
      for (size_t i = 0; i < d.choices.size(); ++i) help += (i ? ", " : " ") + std::string(d.choices[i]);
      help += ".";
    }
    if (!d.dflt.empty()) help += " [default: " + d.dflt + "]";
    std::string& slot = (*args)[d.name];
    if (std::strcmp(d.type, "bool") == 0) {
      // `--color` alone means true; `--color=false` is accepted too.
      app.add_flag(flag, slot, help);
    } else {
      const char* type_name = std::strcmp(d.type, "int") == 0 ? "INT" : d.choices.empty() ? "TEXT" : "CHOICE";
      app.add_option(flag, slot, help)->type_name(type_name);
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
  return true;  // choice options were checked against their vocabulary as they were set
}

AnalysisOptions ToAnalysisOptions(const Options& opts) {
  AnalysisOptions a;
  a.races = opts.detect.Has(Detect::kRaces);
  a.deadlocks = opts.detect.Has(Detect::kDeadlocks);
  a.lock_class_view = opts.lock_view == LockView::kClass;
  a.max_findings = opts.max_findings;
  a.hold_timeline = opts.format == ReportFormat::kHtml || opts.format == ReportFormat::kJson;
  return a;
}

}  // namespace pyrace
