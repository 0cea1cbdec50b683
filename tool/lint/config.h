// `[tool.pyrace]` in pyproject.toml: the project's defaults for `pyrace lint`. Keys:
//   select = ["PYR001", ...]   ignore = [...]   exclude = ["build/", "*_pb2.py"]
//   baseline = "pyrace-baseline.json"   format = "text"
// Command-line options override them (--select/--ignore replace, --exclude adds).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pyrace::lint {

struct FileConfig {
  std::optional<std::vector<std::string>> select, ignore;
  std::vector<std::string> exclude;
  std::optional<std::string> baseline;
  std::optional<std::string> format;
  std::string path;  // the pyproject.toml it came from; empty when none
};

// Reads the nearest pyproject.toml from `start_dir` upwards that has a [tool.pyrace]
// table (or `explicit_path` when given). Returns false with *error on a malformed file.
bool LoadConfig(const std::string& start_dir, const std::string& explicit_path, FileConfig* out, std::string* error);

}  // namespace pyrace::lint
