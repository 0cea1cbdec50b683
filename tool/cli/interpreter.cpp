#include "tool/cli/interpreter.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace pyrace {
namespace fs = std::filesystem;

namespace {

bool IsExecutableFile(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// Python string literal for an arbitrary path.
std::string PyQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string SelfDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  return self.parent_path().string();
}

bool FindInterpreter(const std::string& requested, std::string* path, std::string* error) {
  const std::string name = requested.empty() ? "python3" : requested;
  if (name.find('/') != std::string::npos) {
    if (IsExecutableFile(name)) {
      *path = name;
      return true;
    }
    *error = "cannot run the Python interpreter '" + name + "': not an executable file";
    return false;
  }
  const char* env_path = std::getenv("PATH");
  std::string dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  size_t i = 0;
  while (i <= dirs.size()) {
    size_t colon = dirs.find(':', i);
    std::string dir = dirs.substr(i, colon == std::string::npos ? std::string::npos : colon - i);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
    if (IsExecutableFile(candidate)) {
      *path = candidate;
      return true;
    }
    if (colon == std::string::npos) break;
    i = colon + 1;
  }
  *error = "cannot find the Python interpreter '" + name + "' on PATH (use --python PATH)";
  return false;
}

bool FindRuntimeDir(std::string* dir, std::string* error) {
  const char* env = std::getenv("PYRACE_RUNTIME_DIR");
  std::string d = env != nullptr && *env != '\0' ? std::string(env) : SelfDir() + "/../lib/pyrace";
  std::error_code ec;
  if (!fs::is_directory(d, ec)) {
    *error = "the pyrace runtime directory '" + d + "' does not exist (set PYRACE_RUNTIME_DIR)";
    return false;
  }
  fs::path canon = fs::weakly_canonical(d, ec);
  *dir = ec ? d : canon.string();
  return true;
}

std::vector<std::string> RuntimeBuilds(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    const std::string prefix = "_pyrace.";
    if (name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + 3 &&
        name.compare(name.size() - 3, 3, ".so") == 0) {
      out.push_back(name.substr(prefix.size(), name.size() - prefix.size() - 3));
    }
  }
  return out;
}

std::string BootstrapSource(const std::string& runtime_dir) {
  // sys.abiflags has "t" on free-threaded builds; only then is sysconfig imported
  // (it would otherwise be one more module in every program's sys.modules).
  return "import sys\n"
         "if 't' in getattr(sys, 'abiflags', ''):\n"
         "    import sysconfig\n"
         "    if sysconfig.get_config_var('Py_GIL_DISABLED'):\n"
         "        sys.stderr.write('pyrace: Python %d.%d (%s) is a free-threaded build (Py_GIL_DISABLED): "
         "the pyrace runtime needs the GIL and has no free-threaded build; use a default build of "
         "Python %d.%d\\n' % (sys.version_info[0], sys.version_info[1], sys.executable, "
         "sys.version_info[0], sys.version_info[1]))\n"
         "        sys.exit(" +
         std::to_string(kFreeThreadedExit) +
         ")\n"
         "try:\n"
         "    import _pyrace\n"
         "except ImportError as e:\n"
         "    sys.stderr.write('pyrace: no runtime for Python %d.%d (%s) in %s: %s\\n' % (sys.version_info[0], "
         "sys.version_info[1], sys.executable, " +
         PyQuote(runtime_dir) +
         ", e))\n"
         "    sys.exit(" +
         std::to_string(kRuntimeMissingExit) +
         ")\n"
         "_pyrace.bootstrap()\n";
}

}  // namespace pyrace
