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
    first_ = std::string(msg);
    if (info.hasSourceManager() && info.getLocation().isValid()) {
      clang::PresumedLoc p = info.getSourceManager().getPresumedLoc(info.getLocation());
      if (p.isValid()) {
        file_ = p.getFilename();
        line_ = p.getLine();
        column_ = p.getColumn();
      }
    }
  }
  // The first error: its message, and where (file empty when it has no location).
  const std::string& first() const { return first_; }
  const std::string& file() const { return file_; }
  unsigned line() const { return line_; }
  unsigned column() const { return column_; }
  void clear() override {
    clang::DiagnosticConsumer::clear();
    first_.clear();
    file_.clear();
    line_ = column_ = 0;
  }

 private:
  std::string first_, file_;
  unsigned line_ = 0, column_ = 0;
};

// A file that does not compile: one finding at the compiler's first error, as a Python
// syntax error is one (the rest of the run goes on; its exit code is that of findings).
Finding CompileErrorFinding(const std::string& file, const CollectErrors& diags) {
  Finding f;
  f.kind = FindingKind::kSyntaxError;
  f.severity = Severity::kError;
  f.rule = "PYC000";
  // Named as the user named it when the error is in the file itself.
  bool here = diags.file().empty() || diags.file() == file || llvm::sys::fs::equivalent(diags.file(), file);
  f.primary.file = here ? file : diags.file();
  f.primary.line = diags.file().empty() ? 1 : diags.line();
  f.primary.column = diags.file().empty() ? 1 : diags.column();
  std::string why = diags.first().empty() ? "the compiler gave up" : diags.first();
  f.message = "does not compile: " + why;
  if (f.primary.file != file) {
    // The error is in a header it includes: say which file it stopped.
    f.message += " (while compiling " + file + ")";
  }
  f.notes.push_back("the file was not checked; fix the error, or pass the flags it needs after `--` or with -p");
  return f;
}

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
    if (rc != 0 || diags.getNumErrors() > 0) out.push_back(CompileErrorFinding(file, diags));
  }
  SortAndDedup(&out);
  return out;
}

const std::vector<CLintRule>& CLintRules() {
  static const std::vector<CLintRule> kRules = {
      {"PYC000", "compile-error", FindingKind::kSyntaxError, Severity::kError, "The file does not compile",
       "The C checks need the file's AST, so a file Clang cannot compile with the flags it was given (its "
       "compile_commands.json entry, or the interpreter's include directory and the flags after `--`) is "
       "reported at the first error and not checked; the other files of the run still are.",
       true},
      {"PYC001", "refcount-without-gil", FindingKind::kGilNotHeld, Severity::kError,
       "Reference count changed without the GIL",
       "Py_INCREF, Py_DECREF and their kin (and writes to ob_refcnt) are plain memory updates that only "
       "the GIL makes atomic. Done where the GIL may not be held, such as inside "
       "Py_BEGIN_ALLOW_THREADS, two threads can lose an update: the object is freed while in use, or "
       "leaks. Move the change outside the allow-threads region.",
       true},
      {"PYC002", "capi-without-gil", FindingKind::kGilNotHeld, Severity::kError,
       "C-API function called without the GIL",
       "Almost every function of the Python C API (everything declared in the Python headers except the "
       "few documented as safe without it) requires the calling thread to hold the GIL. Called where "
       "the GIL may not be held, it races with every other thread running Python code and corrupts the "
       "interpreter's state. Call it before releasing the GIL or after re-acquiring it.",
       true},
      {"PYC003", "gil-needing-call-without-gil", FindingKind::kGilNotHeld, Severity::kError,
       "Function that needs the GIL called without it",
       "A function of the same file that uses the C API before taking the GIL itself assumes its caller "
       "holds the GIL. Calling it where the GIL may not be held moves its C-API calls outside the GIL, "
       "with the same corruption as calling them directly.",
       true},
      {"PYC010", "return-in-allow-threads", FindingKind::kGilStateLeak, Severity::kError,
       "Return or goto out of an allow-threads region",
       "Py_BEGIN_ALLOW_THREADS saves the thread state in a local and releases the GIL; only "
       "Py_END_ALLOW_THREADS restores it. A return or goto that leaves the region skips the restore: "
       "the function returns to Python code without the GIL, and the saved thread state is lost.",
       true},
      {"PYC011", "gilstate-not-released", FindingKind::kGilStateLeak, Severity::kError,
       "PyGILState_Ensure not released on some path",
       "Each PyGILState_Ensure must be paired with a PyGILState_Release on every path out of the "
       "function. A path that skips it leaves the GIL held (other threads starve or deadlock) and the "
       "thread state's counter unbalanced.",
       true},
      {"PYC012", "gil-released-twice", FindingKind::kGilStateLeak, Severity::kError, "GIL released twice",
       "PyEval_SaveThread (or Py_BEGIN_ALLOW_THREADS) on a path where the GIL is already released "
       "releases a lock the thread does not hold: the interpreter aborts with a fatal error, or another "
       "thread's thread state is clobbered.",
       true},
      {"PYC013", "gil-taken-twice", FindingKind::kGilStateLeak, Severity::kError, "GIL taken while already held",
       "PyEval_RestoreThread on a path where the thread already holds the GIL waits for the GIL held by "
       "itself, which blocks forever.",
       true},
      {"PYC020", "c-lock-not-released", FindingKind::kMissedRelease, Severity::kError,
       "C lock left locked on some path",
       "A C lock (pthread_mutex_lock, PyThread_acquire_lock, PyMutex_Lock, ...) that the function releases "
       "on some paths but not on another stays locked when that path is taken: the next thread that "
       "needs it blocks forever.",
       true},
      {"PYC030", "gil-lock-order-inversion", FindingKind::kLockOrderInversion, Severity::kError,
       "GIL and a C lock taken in both orders",
       "A C lock acquired, blocking, while holding the GIL, and held elsewhere while taking the GIL, "
       "orders the two locks both ways: a thread holding the C lock waits for the GIL while the thread "
       "holding the GIL waits for the C lock. Release the GIL (Py_BEGIN_ALLOW_THREADS) before taking the "
       "C lock.",
       true},
  };
  return kRules;
}

}  // namespace pyrace
