#include "tool/lint/driver.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>
#include <iterator>
#include <memory>

#include "tool/lint/extract.h"
#include "tool/lint/facts.h"
#include "tool/lint/facts_cache.h"
#include "tool/lint/files.h"
#include "tool/lint/parallel.h"
#include "tool/lint/project.h"
#include "tool/lint/rule.h"
#include "tool/lint/source.h"
#include "tool/suppress/ignore_comment.h"

#include "instrument/clang/c_lint.h"

namespace pyrace::lint {
namespace {

bool Matches(const std::string& sel, const std::string& code, const std::string& name) {
  if (sel == "ALL" || sel == name) return true;
  return !sel.empty() && code.rfind(sel, 0) == 0;  // "PYR00" selects PYR001..PYR009
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// Straight into the string with read(2): a stream's buffer and copies cost more than
// reading the many small files of a tree.
bool ReadFile(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  size_t size = ::fstat(fd, &st) == 0 && st.st_size > 0 ? static_cast<size_t>(st.st_size) : 0;
  out->resize(size + 1);  // one more: the end of a file that grew is seen at once
  size_t len = 0;
  for (;;) {
    if (len == out->size()) out->resize(out->size() * 2 + 4096);
    ssize_t n = ::read(fd, out->data() + len, out->size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  out->resize(len);
  return true;
}

struct Parsed {
  FileFacts facts;
  std::string text;
  size_t lines = 0;
};

void ProcessFile(const std::string& path, bool parse_only, const FactsCache& cache, Parsed& p) {
  p.facts.path = path;
  if (!ReadFile(path, &p.text)) {
    p.facts.read_error = true;
    p.facts.read_error_message = path + ": cannot read file";
    return;
  }
  const std::string module = parse_only ? std::string() : ModuleNameOf(path);
  if (!parse_only && cache.Load(path, module, p.text, &p.facts, &p.lines)) return;
  Source src(path, p.text);
  p.lines = src.Newlines();
  if (!src.Parse(/*flatten=*/!parse_only)) {
    p.facts.read_error = true;
    p.facts.read_error_message = path + ": parser failure";
    return;
  }
  p.facts.syntax_errors = src.SyntaxErrors();
  if (parse_only) return;
  ExtractFile(src, module, p.facts);
  cache.Store(path, module, p.text, p.facts, p.lines);
}

// Kept reachable from a global, so leak checkers see memory in use rather than lost.
void BuryUntilExit(std::vector<FileFacts> facts) {
  static std::vector<std::vector<FileFacts>>* buried = new std::vector<std::vector<FileFacts>>();
  buried->push_back(std::move(facts));
}

bool FindingLess(const Finding& a, const Finding& b) {
  if (a.primary.file != b.primary.file) return a.primary.file < b.primary.file;
  if (a.primary.line != b.primary.line) return a.primary.line < b.primary.line;
  if (a.primary.column != b.primary.column) return a.primary.column < b.primary.column;
  if (a.rule != b.rule) return a.rule < b.rule;
  return a.message < b.message;
}

std::string_view LineOf(const std::string& text, uint32_t line) {
  if (line == 0) return {};
  size_t pos = 0;
  for (uint32_t i = 1; i < line; ++i) {
    pos = text.find('\n', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  size_t end = text.find('\n', pos);
  std::string_view v = std::string_view(text).substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
  return v;
}

}  // namespace

std::string_view LintOutcome::Line(const std::string& file, uint32_t line) const {
  auto it = texts.find(file);
  return it == texts.end() ? std::string_view{} : LineOf(it->second, line);
}

bool RuleEnabled(const std::string& code, const std::string& name, const std::vector<std::string>& select,
                 const std::vector<std::string>& ignore, bool on_by_default) {
  bool on = select.empty() && on_by_default;
  for (const auto& s : select) on |= Matches(Upper(s) == s ? s : s, code, name) || Matches(Upper(s), code, name);
  for (const auto& s : ignore) {
    if (Matches(s, code, name) || Matches(Upper(s), code, name)) on = false;
  }
  return on;
}

LintOutcome RunLint(const LintRequest& req) {
  LintOutcome out;
  FileSet files = CollectFiles(req.paths, req.exclude, req.respect_gitignore);
  out.errors = files.errors;
  out.python_files = files.python.size();
  out.native_files = files.native.size();

  std::vector<Parsed> parsed(files.python.size());
  // Largest files first: a big file taken last would keep one worker busy alone at the end.
  // Results stay in path order (parsed[i] is files.python[i]).
  std::vector<std::pair<uintmax_t, size_t>> order(files.python.size());
  for (size_t i = 0; i < order.size(); ++i) {
    std::error_code ec;
    uintmax_t size = std::filesystem::file_size(files.python[i], ec);
    order[i] = {ec ? 0 : size, i};
  }
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  const FactsCache cache(req.cache_dir);
  ParallelFor(order.size(), req.jobs, [&](size_t k) {
    size_t i = order[k].second;
    ProcessFile(files.python[i], req.parse_only, cache, parsed[i]);
  });

  std::vector<FileFacts> facts;
  facts.reserve(parsed.size());
  std::map<std::string, std::string> texts;
  for (auto& p : parsed) {
    out.lines += p.lines;
    if (p.facts.read_error) {
      out.errors.push_back(p.facts.read_error_message);
      continue;
    }
    texts[p.facts.path] = std::move(p.text);
    facts.push_back(std::move(p.facts));
  }
  parsed.clear();

  std::vector<Finding> findings;
  {
    Project project(facts, req.jobs);
    std::vector<const Rule*> rules;
    for (const auto& rule : AllRules()) {
      const RuleInfo& info = rule->info();
      if (!RuleEnabled(info.code, info.name, req.select, req.ignore, info.on_by_default)) continue;
      if (req.parse_only && info.kind != FindingKind::kSyntaxError) continue;
      rules.push_back(rule.get());
    }
    // Rules only read the project: each fills a list of its own, joined in code order.
    std::vector<std::vector<Finding>> by_rule(rules.size());
    ParallelFor(rules.size(), req.jobs, [&](size_t i) { rules[i]->Check(project, by_rule[i]); });
    for (auto& list : by_rule) std::move(list.begin(), list.end(), std::back_inserter(findings));
  }
  // Findings hold copies of what they cite, so the facts can go. They are many small
  // blocks: freeing them took 50-60 ms of what follows the per-file phase, even on the pool.
  if (req.disable_free) {
    BuryUntilExit(std::move(facts));
  } else {
    ParallelFor(facts.size(), req.jobs, [&](size_t i) { facts[i] = FileFacts(); });
  }

  if (!files.native.empty() && !req.parse_only) {
    CLintOptions copts;
    copts.compile_commands_dir = req.compile_commands_dir;
    copts.extra_args = req.clang_args;
    std::vector<std::string> cerrors;
    std::vector<Finding> cf = LintCFiles(files.native, copts, &cerrors);
    for (auto& e : cerrors) out.errors.push_back(e);
    for (auto& f : cf) {
      if (!RuleEnabled(f.rule.empty() ? FindingKindId(f.kind) : f.rule, FindingKindId(f.kind), req.select, req.ignore)) continue;
      if (!texts.count(f.primary.file)) {
        std::string t;
        if (ReadFile(f.primary.file, &t)) texts[f.primary.file] = std::move(t);
      }
      findings.push_back(std::move(f));
    }
  }

  std::sort(findings.begin(), findings.end(), FindingLess);
  findings.erase(std::unique(findings.begin(), findings.end(),
                             [](const Finding& a, const Finding& b) {
                               return a.rule == b.rule && a.primary.file == b.primary.file &&
                                      a.primary.line == b.primary.line && a.primary.column == b.primary.column &&
                                      a.message == b.message;
                             }),
                 findings.end());
  for (auto& f : findings) {
    auto it = texts.find(f.primary.file);
    std::string_view line = it == texts.end() ? std::string_view{} : LineOf(it->second, f.primary.line);
    const Rule* r = FindRule(f.rule);
    std::string name = r ? r->info().name : FindingKindId(f.kind);
    if (CommentIgnores(line, {FindingKindId(f.kind), f.rule, name}, IgnoreSyntax::kPyraceAndNoqa)) {
      ++out.suppressed;
      continue;
    }
    out.line_texts.emplace_back(line);
    out.findings.push_back(std::move(f));
  }
  for (const auto& f : out.findings) {
    auto it = texts.find(f.primary.file);
    if (it != texts.end() && !out.texts.count(f.primary.file)) out.texts.emplace(f.primary.file, it->second);
  }
  return out;
}

}  // namespace pyrace::lint
