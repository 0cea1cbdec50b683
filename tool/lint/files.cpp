#include "tool/lint/files.h"

#include <fnmatch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace fs = std::filesystem;

namespace pyrace::lint {
namespace {

struct IgnoreRule {
  std::string base;     // directory the .gitignore lives in (display form)
  std::string pattern;  // without leading '!' and trailing '/'
  bool negate = false;
  bool dir_only = false;
};

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = std::char_traits<char>::length(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

bool IsPython(const std::string& p) { return EndsWith(p, ".py"); }
bool IsNative(const std::string& p) {
  return EndsWith(p, ".c") || EndsWith(p, ".cc") || EndsWith(p, ".cpp") || EndsWith(p, ".cxx");
}

std::vector<IgnoreRule> ReadGitignore(const fs::path& dir, const std::string& display_dir) {
  std::vector<IgnoreRule> rules;
  std::ifstream in(dir / ".gitignore");
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    IgnoreRule r;
    r.base = display_dir;
    if (line[0] == '!') {
      r.negate = true;
      line = line.substr(1);
    }
    if (!line.empty() && line.back() == '/') {
      r.dir_only = true;
      line.pop_back();
    }
    if (line.empty()) continue;
    r.pattern = line;
    rules.push_back(std::move(r));
  }
  return rules;
}

std::string Join(const std::string& a, const std::string& b) {
  if (a.empty() || a == ".") return b;
  return a.back() == '/' ? a + b : a + "/" + b;
}

std::string RelativeTo(const std::string& base, const std::string& path) {
  if (base.empty() || base == ".") return path;
  std::string prefix = base.back() == '/' ? base : base + "/";
  return path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : path;
}

bool SkippedDir(const fs::path& dir, const std::string& name) {
  if (name == ".git" || name == "node_modules" || name == "__pycache__" || name == ".tox" || name == ".nox" ||
      name == ".mypy_cache" || name == ".ruff_cache" || name == ".pytest_cache" || name == "site-packages" ||
      name == "dist-packages" || name == ".venv" || name == "venv" || name == ".hg" || name == ".svn") {
    return true;
  }
  std::error_code ec;
  return fs::exists(dir / "pyvenv.cfg", ec);  // any virtual environment, whatever its name
}

class Walker {
 public:
  Walker(const std::vector<std::string>& exclude, bool gitignore, FileSet& out)
      : exclude_(exclude), gitignore_(gitignore), out_(out) {}

  void Walk(const fs::path& dir, const std::string& display, std::vector<IgnoreRule> rules) {
    if (gitignore_) {
      auto more = ReadGitignore(dir, display);
      rules.insert(rules.end(), more.begin(), more.end());
    }
    std::error_code ec;
    std::vector<std::pair<std::string, bool>> entries;
    for (fs::directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; !ec && it != end;
         it.increment(ec)) {
      std::error_code e2;
      bool is_dir = it->is_directory(e2) && !it->is_symlink(e2);
      entries.emplace_back(it->path().filename().string(), is_dir);
    }
    std::sort(entries.begin(), entries.end());
    for (const auto& [name, is_dir] : entries) {
      std::string child = Join(display, name);
      if (Ignored(child, name, is_dir, rules)) continue;
      if (is_dir) {
        if (SkippedDir(dir / name, name)) continue;
        Walk(dir / name, child, rules);
      } else if (IsPython(name)) {
        out_.python.push_back(child);
      } else if (IsNative(name)) {
        out_.native.push_back(child);
      }
    }
  }

 private:
  bool Ignored(const std::string& path, const std::string& name, bool is_dir,
               const std::vector<IgnoreRule>& rules) const {
    for (const auto& e : exclude_) {
      if (GlobMatch(e, path, is_dir) || GlobMatch(e, name, is_dir)) return true;
    }
    bool ignored = false;
    for (const auto& r : rules) {
      if (r.dir_only && !is_dir) continue;
      if (GlobMatch(r.pattern, RelativeTo(r.base, path), is_dir)) ignored = !r.negate;
    }
    return ignored;
  }

  const std::vector<std::string>& exclude_;
  bool gitignore_;
  FileSet& out_;
};

}  // namespace

bool GlobMatch(const std::string& pattern, const std::string& rel, bool is_dir) {
  (void)is_dir;
  std::string p = pattern;
  bool anchored = false;
  if (p.rfind("**/", 0) == 0) {
    p = p.substr(3);
  } else if (!p.empty() && p[0] == '/') {
    p = p.substr(1);
    anchored = true;
  } else if (p.find('/') != std::string::npos) {
    anchored = true;
  }
  if (anchored) return fnmatch(p.c_str(), rel.c_str(), FNM_PATHNAME) == 0;
  // Unanchored: the pattern matches the name of any path component.
  size_t slash = rel.rfind('/');
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  if (fnmatch(p.c_str(), base.c_str(), 0) == 0) return true;
  return p.find('/') != std::string::npos && fnmatch(p.c_str(), rel.c_str(), FNM_PATHNAME) == 0;
}

FileSet CollectFiles(const std::vector<std::string>& paths, const std::vector<std::string>& exclude,
                     bool respect_gitignore) {
  FileSet out;
  Walker w(exclude, respect_gitignore, out);
  for (const auto& p : paths) {
    std::error_code ec;
    fs::file_status st = fs::status(p, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back(p + ": no such file or directory");
      continue;
    }
    if (fs::is_directory(st)) {
      std::string display = p;
      while (display.size() > 1 && display.back() == '/') display.pop_back();
      w.Walk(p, display, {});
    } else if (IsNative(p)) {
      out.native.push_back(p);
    } else {
      out.python.push_back(p);  // named files are linted whatever their suffix
    }
  }
  auto dedupe = [](std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  };
  dedupe(out.python);
  dedupe(out.native);
  return out;
}

std::string ModuleNameOf(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  std::string stem = p.stem().string();
  std::vector<std::string> parts;
  if (stem != "__init__") parts.push_back(stem);
  fs::path dir = p.parent_path();
  for (int depth = 0; depth < 32 && fs::exists(dir / "__init__.py", ec); ++depth) {
    parts.push_back(dir.filename().string());
    dir = dir.parent_path();
  }
  std::string mod;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    if (!mod.empty()) mod += '.';
    mod += *it;
  }
  return mod.empty() ? stem : mod;
}

}  // namespace pyrace::lint
