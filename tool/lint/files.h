// Which files `pyrace lint PATH...` reads: directories are walked honouring .gitignore
// (simple glob semantics: `*`, `?`, `[...]`, `**/`, `/`-anchored, trailing `/` for
// directories, `!` to re-include) and the configured excludes, skipping .git,
// node_modules, virtual environments and site-packages. Named files are always read.
#pragma once

#include <string>
#include <vector>

namespace pyrace::lint {

struct FileSet {
  std::vector<std::string> python;  // sorted, as displayed (relative when given relative)
  std::vector<std::string> native;  // .c/.cc/.cpp/.cxx
  std::vector<std::string> errors;  // "PATH: no such file or directory"
};

FileSet CollectFiles(const std::vector<std::string>& paths, const std::vector<std::string>& exclude,
                     bool respect_gitignore);

// The dotted module name of a Python file from its package directories (__init__.py).
std::string ModuleNameOf(const std::string& path);

// Glob match of one pattern against a path relative to the pattern's base directory.
bool GlobMatch(const std::string& pattern, const std::string& rel_path, bool is_dir);

}  // namespace pyrace::lint
