#include "tool/lint/config.h"

#include <filesystem>
#include <toml++/toml.h>

namespace fs = std::filesystem;

namespace pyrace::lint {
namespace {

bool StringList(const toml::table& t, const char* key, std::vector<std::string>* out, std::string* error) {
  const toml::node* n = t.get(key);
  if (!n) return true;
  const toml::array* a = n->as_array();
  if (!a) {
    *error = std::string("[tool.pyrace] ") + key + " must be an array of strings";
    return false;
  }
  for (const auto& e : *a) {
    auto s = e.value<std::string>();
    if (!s) {
      *error = std::string("[tool.pyrace] ") + key + " must be an array of strings";
      return false;
    }
    out->push_back(*s);
  }
  return true;
}

bool Read(const fs::path& file, FileConfig* out, bool* found, std::string* error) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    *error = file.string() + ":" + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return false;
  }
  const toml::table* t = root["tool"]["pyrace"].as_table();
  *found = t != nullptr;
  if (!t) return true;
  out->path = file.string();
  if (t->contains("select")) {
    out->select.emplace();
    if (!StringList(*t, "select", &*out->select, error)) return false;
  }
  if (t->contains("ignore")) {
    out->ignore.emplace();
    if (!StringList(*t, "ignore", &*out->ignore, error)) return false;
  }
  if (!StringList(*t, "exclude", &out->exclude, error)) return false;
  if (auto b = (*t)["baseline"].value<std::string>()) {
    // Relative to the pyproject.toml's directory.
    fs::path p(*b);
    out->baseline = p.is_absolute() ? p.string() : (file.parent_path() / p).lexically_normal().string();
  }
  if (auto f = (*t)["format"].value<std::string>()) out->format = *f;
  return true;
}

}  // namespace

bool LoadConfig(const std::string& start_dir, const std::string& explicit_path, FileConfig* out, std::string* error) {
  bool found = false;
  if (!explicit_path.empty()) {
    if (!fs::exists(explicit_path)) {
      *error = explicit_path + ": no such file";
      return false;
    }
    return Read(explicit_path, out, &found, error);
  }
  std::error_code ec;
  fs::path dir = fs::absolute(start_dir.empty() ? "." : start_dir, ec);
  for (int i = 0; i < 64 && !dir.empty(); ++i) {
    fs::path candidate = dir / "pyproject.toml";
    if (fs::exists(candidate, ec)) {
      if (!Read(candidate, out, &found, error)) return false;
      if (found) return true;
    }
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return true;
}

}  // namespace pyrace::lint
