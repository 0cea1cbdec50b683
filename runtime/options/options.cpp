#include "runtime/options/options.h"

#include <cerrno>
#include <cstdlib>

namespace pyrace {
namespace {

std::string Normalize(std::string_view key) {
  std::string k(key);
  for (char& c : k) {
    if (c == '-') c = '_';
  }
  return k;
}

bool ParseValue(std::string_view text, bool* out) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return *out = true, true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return *out = false, true;
  return false;
}

bool ParseValue(std::string_view text, int* out) {
  std::string s(text);
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < INT32_MIN || v > INT32_MAX) return false;
  *out = static_cast<int>(v);
  return true;
}

bool ParseValue(std::string_view text, std::string* out) {
  *out = std::string(text);
  return true;
}

std::string ToText(bool v) { return v ? "1" : "0"; }
std::string ToText(int v) { return std::to_string(v); }
std::string ToText(const std::string& v) { return v; }

}  // namespace

const std::vector<OptionDesc>& AllOptions() {
  static const std::vector<OptionDesc> table = {
#define PYRACE_OPTION(type, name, dflt, help) {#name, #type, #dflt, help},
#include "runtime/options/options.inc"
#undef PYRACE_OPTION
  };
  return table;
}

bool SetOption(std::string_view key, std::string_view value, Options* opts, std::string* error) {
  const std::string k = Normalize(key);
#define PYRACE_OPTION(type, name, dflt, help)                                         \
  if (k == #name) {                                                                   \
    if (ParseValue(value, &opts->name)) return true;                                  \
    *error = "bad value '" + std::string(value) + "' for option " #name " (" #type ")"; \
    return false;                                                                     \
  }
#include "runtime/options/options.inc"
#undef PYRACE_OPTION
  *error = "unknown option '" + std::string(key) + "'";
  return false;
}

bool ParseOptionString(std::string_view text, Options* opts, std::string* error) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == ':' || text[i] == '\t' || text[i] == '\n')) ++i;
    if (i >= text.size()) break;
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != ':' && text[j] != '\t' && text[j] != '\n') ++j;
    std::string_view item = text.substr(i, j - i);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      *error = "expected key=value, got '" + std::string(item) + "'";
      return false;
    }
    if (!SetOption(item.substr(0, eq), item.substr(eq + 1), opts, error)) return false;
    i = j;
  }
  return true;
}

std::string SerializeOptions(const Options& opts) {
  const Options defaults;
  std::string out;
#define PYRACE_OPTION(type, name, dflt, help)                 \
  if (opts.name != defaults.name) {                           \
    if (!out.empty()) out += ' ';                             \
    out += #name "=" + ToText(opts.name);                     \
  }
#include "runtime/options/options.inc"
#undef PYRACE_OPTION
  return out;
}

}  // namespace pyrace
