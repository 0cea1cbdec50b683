// The per-file facts cache (`pyrace lint --cache-dir DIR`): what the per-file pass learnt
// from a file (facts.h), stored under a key of everything it depends on, so an unchanged
// file is neither parsed nor extracted again. The project pass and the rules run on every
// invocation, so the rule selection and the configuration are not part of the key.
//
// Key: the linter's version and build (its executable's size and modification time: any
// rebuild starts a new cache), the file's path, the module name it is linted as (which
// also depends on the __init__.py files around it and the current directory) and its
// full content. An entry also records the path and the content's size and hash,
// checked on load. A missing, unreadable or malformed entry is a miss, never an error.
#pragma once

#include <cstddef>
#include <string>

#include "tool/lint/facts.h"

namespace pyrace::lint {

class FactsCache {
 public:
  // dir empty: disabled; also disabled when the executable's identity is unknown (no
  // /proc/self/exe), since a rebuilt linter must never read an older one's facts.
  explicit FactsCache(std::string dir);

  bool enabled() const { return !dir_.empty(); }
  // Fills *out and *lines from the entry for (path, module, text); false on a miss.
  bool Load(const std::string& path, const std::string& module, const std::string& text, FileFacts* out,
            size_t* lines) const;
  // Writes the entry (atomically: a temporary file renamed into place). Failures are
  // ignored: the cache only saves time.
  void Store(const std::string& path, const std::string& module, const std::string& text, const FileFacts& facts,
             size_t lines) const;

  // The bytes an entry holds for the facts, and back (exposed for the round-trip test).
  static std::string Serialize(const FileFacts& facts, size_t lines);
  static bool Deserialize(const std::string& bytes, FileFacts* out, size_t* lines);

 private:
  std::string EntryPath(const std::string& path, const std::string& module, const std::string& text) const;

  std::string dir_;
  std::string build_;  // version and executable identity, part of every key
};

}  // namespace pyrace::lint
