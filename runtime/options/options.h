// pyrace's options, generated from options.inc. Shared by the tool (command line and
// PYRACE_OPTIONS) and by the runtime inside the user's interpreter (which receives the
// effective options serialized in PYRACE_RUNTIME_OPTIONS).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pyrace {

// The multi-choice vocabularies: enum class ReportFormat { kText, kJson, kSarif }, ...
#define PYRACE_CHOICES(Type) enum class Type : uint8_t {
#define PYRACE_CHOICE(Type, enumerator, spelling) enumerator,
#define PYRACE_CHOICES_END(Type) };
#include "runtime/options/options.inc"

// A set of choices of one vocabulary (at most 32), for options that take several.
template <class E>
class ChoiceSet {
 public:
  constexpr ChoiceSet() = default;
  constexpr ChoiceSet(E e) : bits_(Bit(e)) {}  // implicit: one choice is a set of one
  constexpr bool Has(E e) const { return (bits_ & Bit(e)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr ChoiceSet operator|(ChoiceSet o) const { return FromBits(bits_ | o.bits_); }
  constexpr bool operator==(const ChoiceSet&) const = default;

 private:
  static constexpr uint32_t Bit(E e) { return uint32_t{1} << static_cast<uint32_t>(e); }
  static constexpr ChoiceSet FromBits(uint32_t b) {
    ChoiceSet s;
    s.bits_ = b;
    return s;
  }
  uint32_t bits_ = 0;
};

// The spelling of each choice ("text"), and every spelling of a vocabulary in order.
#define PYRACE_CHOICES(Type)                 \
  const char* ChoiceName(Type value);        \
  const std::vector<std::string_view>& ChoiceNames(Type);
#include "runtime/options/options.inc"

struct Options {
#define PYRACE_OPTION_bool bool
#define PYRACE_OPTION_int int
#define PYRACE_OPTION_string std::string
#define PYRACE_OPTION(type, name, dflt, help) PYRACE_OPTION_##type name = dflt;
#define PYRACE_CHOICE_OPTION(Type, name, dflt, help) Type name = Type::dflt;
#define PYRACE_CHOICE_SET_OPTION(Type, name, dflt, help) ChoiceSet<Type> name = dflt;
#include "runtime/options/options.inc"
#undef PYRACE_OPTION_bool
#undef PYRACE_OPTION_int
#undef PYRACE_OPTION_string
};

struct OptionDesc {
  const char* name;   // field name, with underscores
  const char* type;   // "bool", "int", "string", "choice" (one of choices), "choices" (any)
  std::string dflt;   // default, as it would be written
  const char* help;
  std::vector<std::string_view> choices;  // the accepted spellings of a choice option
};

// The table itself, for --help and the command-line parser.
const std::vector<OptionDesc>& AllOptions();

// Applies "key=value key2=value2" (separated by spaces or colons, TSan's syntax; keys
// may use '-' or '_'). Returns false and sets *error on an unknown key or a bad value
// (for a choice option the message lists the valid choices); options before the bad
// one stay applied.
bool ParseOptionString(std::string_view text, Options* opts, std::string* error);

// Sets one option by name from text. Same error contract.
bool SetOption(std::string_view key, std::string_view value, Options* opts, std::string* error);

// The inverse of ParseOptionString for every option that differs from its default.
std::string SerializeOptions(const Options& opts);

}  // namespace pyrace
