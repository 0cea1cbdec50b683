// Suppression files in ThreadSanitizer's syntax, one `type:pattern` per line, `#`
// starts a comment:
//
//   race:Account.deposit        data-race with a matching frame in any of its stacks
//   race_top:worker             data-race whose stacks' top frame matches
//   deadlock:pool.py            deadlock or lock-order-inversion with a matching frame
//   mutex:legacy_*              missed-release or bad-release with a matching frame
//   thread:start_workers        any finding whose thread-creation stack matches
//   <kind>:pattern              that finding kind ("missed-release:get_value")
//
// A pattern is matched, as in TSan, as a substring of a frame's function (qualified
// name), file path or dotted module path (`pkg/mod.py` -> `pkg.mod`); `*` matches any
// run of characters, a leading `^` / trailing `$` anchor it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "runtime/model/finding.h"

namespace pyrace {

// TSan's TemplateMatch: substring match with `*` globs and `^`/`$` anchors.
bool TemplateMatch(std::string_view pattern, std::string_view text);

class Suppressions {
 public:
  // Adds the rules of one file's text; origin names it in messages. False and *error
  // ("supp.txt:3: unknown suppression type 'rase'") on the first bad line.
  bool Parse(std::string_view text, const std::string& origin, std::string* error);
  bool LoadFile(const std::string& path, std::string* error);

  // True when a rule matches f; counts the hit for Unused().
  bool Suppresses(const Finding& f);

  // The rules that matched nothing, as "type:pattern (file:line)".
  std::vector<std::string> Unused() const;

  size_t size() const { return rules_.size(); }

 private:
  struct Rule {
    std::string type;
    std::string pattern;
    std::string origin;  // "file:line"
    uint32_t hits = 0;
  };
  static bool RuleMatches(const Rule& r, const Finding& f);
  std::vector<Rule> rules_;
};

}  // namespace pyrace
