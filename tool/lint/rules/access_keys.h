// The project-wide name of a data access target, shared by the data-race rules; empty
// when it has none (an attribute of an object whose class is unknown).
#pragma once

#include <string>

#include "tool/lint/project.h"

namespace pyrace::lint {

inline std::string AccessKey(const Project& project, const FunctionFacts& fn, const AccessFact& a,
                             const std::string& cls) {
  switch (a.target) {
    case AccessTarget::kSelfAttr: return project.ClassKey(fn.module, cls, a.name);
    case AccessTarget::kGlobal: return fn.module + "." + a.name;
    case AccessTarget::kNonlocal: return fn.module + "." + fn.enclosing + ":" + a.name;
    case AccessTarget::kObjectAttr: return project.ObjectAttrKey(fn, a.object, a.name);
  }
  return a.name;
}

inline std::string AccessDisplay(const AccessFact& a) {
  if (a.target == AccessTarget::kObjectAttr) return a.object.text + "." + a.name;
  return a.target == AccessTarget::kSelfAttr ? "self." + a.name : a.name;
}

}  // namespace pyrace::lint
