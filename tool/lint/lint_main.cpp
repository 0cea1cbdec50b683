#include "tool/lint/lint_main.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "tool/lint/baseline.h"
#include "tool/lint/config.h"
#include "tool/lint/driver.h"
#include "tool/lint/output.h"
#include "tool/lint/rule.h"
#include "tool/render/html.h"

#include "instrument/clang/c_lint.h"

namespace pyrace {
namespace {

constexpr int kExitClean = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;

void ListRules(std::ostream& out) {
  for (const auto& r : lint::AllRules()) {
    const auto& i = r->info();
    out << i.code << "  " << i.name << "  (" << i.kind_id << ", " << SeverityId(i.severity)
        << (i.on_by_default ? "" : ", off by default") << ")  " << i.summary << "\n";
  }
  for (const auto& c : CLintRules()) {
    out << c.code << "  " << c.name << "  (" << FindingKindId(c.kind) << ", " << SeverityId(c.severity)
        << (c.on_by_default ? "" : ", off by default") << ")  " << c.summary << "\n";
  }
}

// The same, with each rule's description: what the doc pages docs/lint/rules/CODE.md
// are checked against (tests/tool/lint/rule_docs.py).
void ListRulesJson(std::ostream& out) {
  nlohmann::json rules = nlohmann::json::array();
  auto add = [&](const char* code, const char* name, FindingKind kind, Severity sev, const char* summary,
                 const char* description, bool on) {
    rules.push_back({{"code", code}, {"name", name}, {"kind", FindingKindId(kind)}, {"severity", SeverityId(sev)},
                     {"summary", summary}, {"description", description}, {"on_by_default", on}});
  };
  for (const auto& r : lint::AllRules()) {
    const auto& i = r->info();
    add(i.code, i.name, i.kind, i.severity, i.summary, i.description, i.on_by_default);
  }
  for (const auto& c : CLintRules()) add(c.code, c.name, c.kind, c.severity, c.summary, c.description, c.on_by_default);
  out << rules.dump(2) << "\n";
}

std::vector<std::string> SplitCodes(const std::vector<std::string>& in) {
  std::vector<std::string> out;
  for (const auto& s : in) {
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (!item.empty()) out.push_back(item);
    }
  }
  return out;
}

}  // namespace

int LintMain(int argc, char** argv) {
  CLI::App app{"pyrace lint: static detection of lock misuse and races in Python (and C/C++) sources", "pyrace lint"};
  std::vector<std::string> paths, select, ignore, exclude, clang_args;
  std::string format, baseline, write_baseline, config_path, build_dir, output_path, cache_dir;
  bool list_rules = false, no_gitignore = false, color = false, quiet = false, parse_only = false;
  unsigned jobs = 2;
  app.add_option("paths", paths, "Files and directories to lint");
  app.add_option("--select", select, "Rule codes, prefixes or names to enable (comma-separated)")->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--ignore", ignore, "Rule codes, prefixes or names to disable (comma-separated)")->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--exclude", exclude, "Glob patterns of paths to skip (in addition to .gitignore)")->allow_extra_args(false)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--format", format, "Output format")->check(CLI::IsMember({"text", "json", "sarif", "github", "html"}));
  app.add_option("-o,--output", output_path, "Write the report to FILE instead of stdout");
  app.add_option("--baseline", baseline, "Hide findings recorded in this baseline file");
  app.add_option("--write-baseline", write_baseline, "Record the current findings as a baseline in FILE and exit 0");
  app.add_option("--config", config_path, "pyproject.toml to read [tool.pyrace] from (default: nearest)");
  app.add_option("-p,--build-dir", build_dir, "Directory with compile_commands.json for C/C++ sources");
  app.add_option("-j,--jobs", jobs, "Worker threads (default 2)")->check(CLI::Range(1u, 64u));
  app.add_flag("--no-gitignore", no_gitignore, "Do not honour .gitignore files");
  app.add_flag("--color", color, "Colour the text report");
  app.add_flag("-q,--quiet", quiet, "Print nothing when there are no findings");
  app.add_flag("--list-rules", list_rules, "List the rules and exit");
  app.add_option("--cache-dir", cache_dir,
                 "Keep the facts of each file in DIR and reuse them while the file, its path and the linter are unchanged");
  app.add_flag("--parse-only", parse_only, "Only parse the Python files and report syntax errors (PYR000)");
  app.allow_extras(false);
  // Everything after `--` goes to the C/C++ compiler.
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") {
      clang_args.assign(args.begin() + static_cast<long>(i) + 1, args.end());
      args.resize(i);
      break;
    }
  }
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitClean : kExitUsage;
  }
  if (list_rules) {
    if (format == "json") {
      ListRulesJson(std::cout);
    } else {
      ListRules(std::cout);
    }
    return kExitClean;
  }
  if (paths.empty()) {
    std::cerr << "pyrace lint: no paths given (try `pyrace lint .`)\n";
    return kExitUsage;
  }

  lint::FileConfig cfg;
  std::string error;
  if (!lint::LoadConfig(".", config_path, &cfg, &error)) {
    std::cerr << "pyrace lint: " << error << "\n";
    return kExitUsage;
  }
  lint::LintRequest req;
  req.paths = paths;
  req.select = SplitCodes(select.empty() && cfg.select ? *cfg.select : select);
  req.ignore = SplitCodes(ignore.empty() && cfg.ignore ? *cfg.ignore : ignore);
  req.exclude = cfg.exclude;
  req.exclude.insert(req.exclude.end(), exclude.begin(), exclude.end());
  req.respect_gitignore = !no_gitignore;
  req.jobs = jobs;
  req.parse_only = parse_only;
  req.cache_dir = cache_dir;
  req.compile_commands_dir = build_dir;
  req.clang_args = clang_args;
  req.disable_free = true;  // LintMain's caller exits with its result
  for (const auto& s : req.select) {
    bool known = s == "ALL";
    for (const auto& r : lint::AllRules()) known |= std::string(r->info().code).rfind(s, 0) == 0 || s == r->info().name;
    if (!known && s.rfind("PYR", 0) == 0) {
      std::cerr << "pyrace lint: unknown rule '" << s << "' in select (see --list-rules)\n";
      return kExitUsage;
    }
  }
  if (format.empty()) format = cfg.format.value_or("text");
  if (baseline.empty() && cfg.baseline) baseline = *cfg.baseline;

  lint::LintOutcome outcome = lint::RunLint(req);
  lint::AssignFingerprints(outcome.findings, outcome.line_texts);

  if (!write_baseline.empty()) {
    if (!lint::WriteBaseline(write_baseline, outcome.findings, &error)) {
      std::cerr << "pyrace lint: " << error << "\n";
      return kExitUsage;
    }
    std::cerr << "pyrace lint: wrote " << outcome.findings.size() << " findings to " << write_baseline << "\n";
    return outcome.errors.empty() ? kExitClean : kExitUsage;
  }
  if (!baseline.empty()) {
    int hidden = lint::ApplyBaseline(baseline, outcome.findings, &error);
    if (hidden < 0) {
      std::cerr << "pyrace lint: " << error << "\n";
      return kExitUsage;
    }
    outcome.suppressed += static_cast<size_t>(hidden);
  }

  std::ostringstream report;
  if (format == "json") {
    lint::RenderLintJson(outcome, report);
  } else if (format == "sarif") {
    lint::RenderLintSarif(outcome, report);
  } else if (format == "github") {
    lint::RenderLintGithub(outcome, report);
  } else if (format == "html") {
    SourceLines sources;
    ReportInfo info;
    info.suppressed = static_cast<uint32_t>(outcome.suppressed);
    RenderHtml(outcome.findings, info, sources, report);
  } else if (!(quiet && outcome.findings.empty())) {
    lint::RenderLintText(outcome, color && isatty(1), report);
  }
  if (output_path.empty()) {
    std::cout << report.str();
    std::cout.flush();
  } else {
    FILE* f = std::fopen(output_path.c_str(), "w");
    if (!f || std::fwrite(report.str().data(), 1, report.str().size(), f) != report.str().size()) {
      std::cerr << "pyrace lint: cannot write " << output_path << "\n";
      if (f) std::fclose(f);
      return kExitUsage;
    }
    std::fclose(f);
  }
  for (const auto& e : outcome.errors) std::cerr << "pyrace lint: error: " << e << "\n";
  if (!outcome.errors.empty()) return kExitUsage;
  return outcome.findings.empty() ? kExitClean : kExitFindings;
}

}  // namespace pyrace
