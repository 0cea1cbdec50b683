#include "instrument/clang/c_lint.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <tuple>

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/Basic/Diagnostic.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendAction.h"
#include "clang/Tooling/CompilationDatabase.h"
#include "clang/Tooling/Tooling.h"
#include "instrument/clang/tu_context.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

namespace pyrace {
namespace {

namespace tooling = clang::tooling;

// Builtin headers (stddef.h, stdarg.h, ...) of the Clang we link against; without
// them every file that includes Python.h fails to parse.
std::string ClangResourceDir() {
#ifdef PYRACE_CLANG_RESOURCE_DIR
  if (llvm::sys::fs::is_directory(PYRACE_CLANG_RESOURCE_DIR)) return PYRACE_CLANG_RESOURCE_DIR;
#endif
  for (const char* d : {"/usr/lib/llvm-14/lib/clang/14.0.6", "/usr/lib/llvm-14/lib/clang/14"}) {
    if (llvm::sys::fs::is_directory(d)) return d;
  }
  return {};
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// sysconfig's "include" path of the interpreter, asked once per interpreter.
std::string InterpreterIncludeDir(const std::string& interpreter) {
  std::string cmd = interpreter +
                    " -c \"import sysconfig; print(sysconfig.get_paths()['include'])\" 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return {};
  char buf[4096];
  std::string out;
  while (fgets(buf, sizeof buf, p.get())) out += buf;
  return Trim(out);
}

// compile_commands.json when the file is in it, else `clang -I<python include> FILE`;
// the `--` flags go to both.
class LintDatabase : public tooling::CompilationDatabase {
 public:
  LintDatabase(std::unique_ptr<tooling::CompilationDatabase> db, std::vector<std::string> fallback)
      : db_(std::move(db)), fallback_(std::move(fallback)) {}

  std::vector<tooling::CompileCommand> getCompileCommands(llvm::StringRef file) const override {
    if (db_) {
      std::vector<tooling::CompileCommand> cmds = db_->getCompileCommands(file);
      if (!cmds.empty()) {
        cmds.resize(1);  // one configuration per file is enough for the GIL checks
        return cmds;
      }
    }
    llvm::SmallString<256> cwd;
    llvm::sys::fs::current_path(cwd);
    std::vector<std::string> args{"clang"};
    args.insert(args.end(), fallback_.begin(), fallback_.end());
    args.push_back(file.str());
    return {tooling::CompileCommand(cwd, file, std::move(args), "")};
  }

 private:
  std::unique_ptr<tooling::CompilationDatabase> db_;
  std::vector<std::string> fallback_;
};

class CollectErrors : public clang::DiagnosticConsumer {
 public:
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level,
                        const clang::Diagnostic& info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level < clang::DiagnosticsEngine::Error || !first_.empty()) return;
    llvm::SmallString<256> msg;
    info.FormatDiagnostic(msg);
    std::string where;
    if (info.hasSourceManager() && info.getLocation().isValid()) {
      clang::PresumedLoc p = info.getSourceManager().getPresumedLoc(info.getLocation());
      if (p.isValid()) {
        where = std::string(p.getFilename()) + ":" + std::to_string(p.getLine()) + ": ";
      }
    }
    first_ = where + "error: " + std::string(msg);
  }
  const std::string& first() const { return first_; }
  void clear() override {
    clang::DiagnosticConsumer::clear();
    first_.clear();
  }

 private:
  std::string first_;
};

class GilConsumer : public clang::ASTConsumer {
 public:
  GilConsumer(const std::string& pyinc, std::vector<Finding>* out) : pyinc_(pyinc), out_(out) {}
  void HandleTranslationUnit(clang::ASTContext& ctx) override {
    // A TU with errors has a partial AST: its findings would be guesses.
    if (ctx.getDiagnostics().hasErrorOccurred()) return;
    clint::TuContext tu(ctx, pyinc_);
    tu.Run();
    if (std::getenv("PYRACE_CLINT_STATS")) {
      const auto& s = tu.stats();
      std::fprintf(stderr,
                   "pyrace-clang: %s: %zu functions, %zu states, %zu capped, %zu rewalked, "
                   "%zu GIL-release sites reached\n",
                   ctx.getSourceManager()
                       .getFileEntryForID(ctx.getSourceManager().getMainFileID())
                       ->getName()
                       .str()
                       .c_str(),
                   s.functions, s.states, s.capped, s.rewalked, s.release_sites.size());
      for (const std::string& fn : s.capped_functions) {
        std::fprintf(stderr, "pyrace-clang:   capped: %s\n", fn.c_str());
      }
    }
    for (Finding& f : tu.TakeFindings()) out_->push_back(std::move(f));
  }

 private:
  const std::string& pyinc_;
  std::vector<Finding>* out_;
};

class GilAction : public clang::ASTFrontendAction {
 public:
  GilAction(const std::string& pyinc, std::vector<Finding>* out) : pyinc_(pyinc), out_(out) {}
  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&,
                                                        llvm::StringRef) override {
    return std::make_unique<GilConsumer>(pyinc_, out_);
  }

 private:
  const std::string& pyinc_;
  std::vector<Finding>* out_;
};

class GilActionFactory : public tooling::FrontendActionFactory {
 public:
  GilActionFactory(const std::string& pyinc, std::vector<Finding>* out) : pyinc_(pyinc), out_(out) {}
  std::unique_ptr<clang::FrontendAction> create() override {
    return std::make_unique<GilAction>(pyinc_, out_);
  }

 private:
  const std::string& pyinc_;
  std::vector<Finding>* out_;
};

std::unique_ptr<tooling::CompilationDatabase> LoadDatabase(const CLintOptions& opts,
                                                           std::vector<std::string>* errors) {
  if (opts.compile_commands_dir.empty()) return nullptr;
  std::string err;
  auto db = tooling::CompilationDatabase::loadFromDirectory(opts.compile_commands_dir, err);
  if (!db && errors) errors->push_back(opts.compile_commands_dir + ": error: " + err);
  return db;
}

void SortAndDedup(std::vector<Finding>* fs) {
  auto key = [](const Finding& f) {
    return std::tie(f.primary.file, f.primary.line, f.primary.column, f.kind, f.rule);
  };
  std::stable_sort(fs->begin(), fs->end(),
                   [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
  fs->erase(std::unique(fs->begin(), fs->end(),
                        [&](const Finding& a, const Finding& b) { return key(a) == key(b); }),
            fs->end());
}

}  // namespace

std::vector<Finding> LintCFiles(const std::vector<std::string>& files, const CLintOptions& opts,
                                std::vector<std::string>* errors) {
  std::string pyinc = opts.python_include_dir;
  if (pyinc.empty()) pyinc = InterpreterIncludeDir(opts.interpreter);
  std::vector<std::string> fallback;
  if (!pyinc.empty()) fallback.push_back("-I" + pyinc);
  LintDatabase db(LoadDatabase(opts, errors), fallback);

  std::vector<std::string> tail = opts.extra_args;
  if (std::string res = ClangResourceDir(); !res.empty()) tail.push_back("-resource-dir=" + res);
  tail.push_back("-w");  // the compiler's own warnings are not ours to report
  tail.push_back("-Wno-error");
  tail.push_back("-fno-caret-diagnostics");  // also stops "N errors generated." on stderr

  std::vector<Finding> out;
  for (const std::string& file : files) {
    if (!llvm::sys::fs::exists(file)) {
      if (errors) errors->push_back(file + ": error: no such file");
      continue;
    }
    tooling::ClangTool tool(db, {file});
    tool.appendArgumentsAdjuster(
        tooling::getInsertArgumentAdjuster(tail, tooling::ArgumentInsertPosition::END));
    CollectErrors diags;
    tool.setDiagnosticConsumer(&diags);
    tool.setPrintErrorMessage(false);  // reported through *errors instead
    GilActionFactory factory(pyinc, &out);
    int rc = tool.run(&factory);
    if ((rc != 0 || diags.getNumErrors() > 0) && errors) {
      // "file.c:line: error: ..." names the file; other errors get it as a prefix.
      const std::string& first = diags.first();
      if (first.empty()) {
        errors->push_back(file + ": error: could not be parsed");
      } else if (first.rfind(file, 0) != 0) {  // location-less, or in an included file
        errors->push_back(file + ": " + first);
      } else {
        errors->push_back(first);
      }
    }
  }
  SortAndDedup(&out);
  return out;
}

const std::vector<CLintRule>& CLintRules() {
  static const std::vector<CLintRule> kRules = {
      {"PYC001", FindingKind::kGilNotHeld, "reference count changed without the GIL"},
      {"PYC002", FindingKind::kGilNotHeld, "C-API function called without the GIL"},
      {"PYC003", FindingKind::kGilNotHeld, "function that needs the GIL called without it"},
      {"PYC010", FindingKind::kGilStateLeak, "return or goto out of an allow-threads region"},
      {"PYC011", FindingKind::kGilStateLeak, "PyGILState_Ensure not released on some path"},
      {"PYC012", FindingKind::kGilStateLeak, "GIL released twice"},
      {"PYC013", FindingKind::kGilStateLeak, "GIL taken while already held"},
      {"PYC020", FindingKind::kMissedRelease, "C lock left locked on some path"},
      {"PYC030", FindingKind::kLockOrderInversion, "GIL and a C lock taken in both orders"},
  };
  return kRules;
}

}  // namespace pyrace
