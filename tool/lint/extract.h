// The per-file pass: reads one parsed module into FileFacts (imports, module-level names,
// classes and their lock attributes, and for every function the facts of its lock-state
// dataflow). Needs nothing from other files, so files are processed in parallel.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tool/lint/facts.h"
#include "tool/lint/source.h"

namespace pyrace::lint {

// Name resolution inside one function (or the module's top level).
struct Scope {
  const Source* src = nullptr;
  const FileFacts* file = nullptr;
  std::string qualname;
  std::string class_name;  // the class of a method (or of the enclosing method for nested defs)
  std::string self_name;   // first parameter of a method ("self"/"cls"), empty otherwise
  bool is_module = false;
  std::set<std::string> locals;
  std::set<std::string> globals;    // declared `global`
  std::set<std::string> nonlocals;  // declared `nonlocal`
  std::map<std::string, Ref> aliases;  // local = self._lock (assigned once)
  const Scope* parent = nullptr;       // enclosing function, for closures

  // The lock/object identity an expression names, if it is a name or an attribute chain
  // we can identify; other expressions get a function-scoped kOther identity.
  Ref RefOf(Node expr) const;
  std::optional<Callee> CalleeOf(Node fn) const;
  bool IsLocal(const std::string& name) const { return locals.count(name) && !globals.count(name); }
  bool IsModuleName(const std::string& name) const;
};

CtorInfo CtorOf(const Scope& scope, Node expr);

// Reads one parsed file into facts. `module` is its dotted module name.
void ExtractFile(const Source& src, const std::string& module, FileFacts& out);

// Runs the CFG and lock-state dataflow over one function body and appends its facts.
void AnalyzeFunction(const Scope& scope, Node body, FunctionFacts& out);

}  // namespace pyrace::lint
