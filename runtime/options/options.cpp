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

template <class E>
bool ParseValue(std::string_view text, E* out) {
  const std::vector<std::string_view>& names = ChoiceNames(E{});
  for (size_t i = 0; i < names.size(); ++i) {
    if (text == names[i]) return *out = static_cast<E>(i), true;
  }
  return false;
}

// "races,deadlocks": every item a choice, at least one.
template <class E>
bool ParseValue(std::string_view text, ChoiceSet<E>* out) {
  ChoiceSet<E> set;
  for (;;) {
    size_t comma = text.find(',');
    E e{};
    if (!ParseValue(text.substr(0, comma), &e)) return false;
    set = set | e;
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  *out = set;
  return true;
}

std::string ToText(bool v) { return v ? "1" : "0"; }
std::string ToText(int v) { return std::to_string(v); }
std::string ToText(const std::string& v) { return v; }

template <class E>
std::string ToText(E v) {
  return ChoiceName(v);
}

template <class E>
std::string ToText(ChoiceSet<E> set) {
  std::string out;
  const std::vector<std::string_view>& names = ChoiceNames(E{});
  for (size_t i = 0; i < names.size(); ++i) {
    if (!set.Has(static_cast<E>(i))) continue;
    if (!out.empty()) out += ',';
    out += names[i];
  }
  return out;
}

std::string Unquoted(const char* dflt) {
  std::string s = dflt;
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::string BadValue(std::string_view value, const char* name, const char* type,
                     const std::vector<std::string_view>& choices) {
  std::string e = "bad value '" + std::string(value) + "' for option " + name;
  if (choices.empty()) return e + " (" + type + ")";
  e += std::string_view(type) == "choices" ? " (expected a comma-separated list of:" : " (expected one of:";
  for (std::string_view c : choices) e += " " + std::string(c);
  return e + ")";
}

}  // namespace

#define PYRACE_CHOICES(Type)         \
  const char* ChoiceName(Type value) { \
    switch (value) {
#define PYRACE_CHOICE(Type, enumerator, spelling) \
  case Type::enumerator:                          \
    return spelling;
#define PYRACE_CHOICES_END(Type) \
  }                              \
  return "?";                    \
  }
#include "runtime/options/options.inc"

#define PYRACE_CHOICES(Type)                                  \
  const std::vector<std::string_view>& ChoiceNames(Type) {    \
    static const std::vector<std::string_view> names = {
#define PYRACE_CHOICE(Type, enumerator, spelling) spelling,
#define PYRACE_CHOICES_END(Type) \
  };                             \
  return names;                  \
  }
#include "runtime/options/options.inc"

const std::vector<OptionDesc>& AllOptions() {
  static const std::vector<OptionDesc> table = {
#define PYRACE_OPTION(type, name, dflt, help) {#name, #type, Unquoted(#dflt), help, {}},
#define PYRACE_CHOICE_OPTION(Type, name, dflt, help) {#name, "choice", ChoiceName(Type::dflt), help, ChoiceNames(Type{})},
#define PYRACE_CHOICE_SET_OPTION(Type, name, dflt, help) \
  {#name, "choices", ToText(ChoiceSet<Type>(dflt)), help, ChoiceNames(Type{})},
#include "runtime/options/options.inc"
  };
  return table;
}

bool SetOption(std::string_view key, std::string_view value, Options* opts, std::string* error) {
  const std::string k = Normalize(key);
#define PYRACE_SET(name, type, choices)                         \
  if (k == #name) {                                             \
    if (ParseValue(value, &opts->name)) return true;            \
    *error = BadValue(value, #name, type, choices);             \
    return false;                                               \
  }
#define PYRACE_OPTION(type, name, dflt, help) PYRACE_SET(name, #type, {})
#define PYRACE_CHOICE_OPTION(Type, name, dflt, help) PYRACE_SET(name, "choice", ChoiceNames(Type{}))
#define PYRACE_CHOICE_SET_OPTION(Type, name, dflt, help) PYRACE_SET(name, "choices", ChoiceNames(Type{}))
#include "runtime/options/options.inc"
#undef PYRACE_SET
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
#define PYRACE_SERIALIZE(name)              \
  if (!(opts.name == defaults.name)) {      \
    if (!out.empty()) out += ' ';           \
    out += #name "=" + ToText(opts.name);   \
  }
#define PYRACE_OPTION(type, name, dflt, help) PYRACE_SERIALIZE(name)
#define PYRACE_CHOICE_OPTION(Type, name, dflt, help) PYRACE_SERIALIZE(name)
#define PYRACE_CHOICE_SET_OPTION(Type, name, dflt, help) PYRACE_SERIALIZE(name)
#include "runtime/options/options.inc"
#undef PYRACE_SERIALIZE
  return out;
}

}  // namespace pyrace
