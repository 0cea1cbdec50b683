#include "instrument/clang/path_state.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace pyrace::clint {
namespace {

void Put(std::string* out, const void* p) {
  char buf[sizeof p];
  std::memcpy(buf, &p, sizeof p);
  out->append(buf, sizeof p);
}

void Put(std::string* out, unsigned v) {
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  out->append(buf, sizeof v);
}

}  // namespace

std::string CPathState::Key() const {
  std::string k;
  k.push_back(static_cast<char>(gil));
  k.push_back(token_escaped ? 1 : 0);
  Put(&k, gil_released_at);
  Put(&k, token);
  for (const EnsureEntry& e : ensures) {
    k.push_back('E');
    k.push_back(static_cast<char>(e.before));
    k.push_back(e.escaped ? 1 : 0);
    Put(&k, e.loc);
    Put(&k, e.var);
  }
  for (const PathLock& l : locks) {
    k.push_back('L');
    k += l.id;
    k.push_back('\0');
    Put(&k, l.acquire);
  }
  for (const PendingTry& t : tries) {
    k.push_back('T');
    Put(&k, t.var);
    Put(&k, t.call);
    k += t.lock.id;
    k.push_back('\0');
  }
  for (const auto& [key, b] : facts) {
    k.push_back(b ? 'F' : 'f');
    k += key;
    k.push_back('\0');
  }
  for (const std::string& r : released_unheld) {
    k.push_back('R');
    k += r;
    k.push_back('\0');
  }
  for (const std::string& r : fresh) {
    k.push_back('N');
    k += r;
    k.push_back('\0');
  }
  return k;
}

void CPathState::AddLock(PathLock l) {
  auto it = std::lower_bound(locks.begin(), locks.end(), l.id,
                             [](const PathLock& a, const std::string& id) { return a.id < id; });
  if (it != locks.end() && it->id == l.id) return;  // re-lock: keep the first acquire
  locks.insert(it, std::move(l));
}

bool CPathState::RemoveLock(const std::string& id) {
  auto it = std::find_if(locks.begin(), locks.end(), [&](const PathLock& l) { return l.id == id; });
  if (it == locks.end()) return false;
  locks.erase(it);
  return true;
}

const bool* CPathState::Fact(const std::string& key) const {
  for (const auto& f : facts) {
    if (f.first == key) return &f.second;
  }
  return nullptr;
}

void CPathState::SetFact(const std::string& key, bool value) {
  auto it = std::lower_bound(facts.begin(), facts.end(), key,
                             [](const auto& a, const std::string& b) { return a.first < b; });
  if (it != facts.end() && it->first == key) {
    it->second = value;
  } else {
    facts.insert(it, {key, value});
  }
}

void CPathState::KillKeysContaining(const std::string& part) {
  std::erase_if(facts, [&](const auto& f) { return f.first.find(part) != std::string::npos; });
}

void CPathState::KillVar(const clang::VarDecl* v) {
  KillKeysContaining(VarToken(v));
  std::erase_if(tries, [&](const PendingTry& t) { return t.var == v; });
}

void CPathState::ClearExpressionFacts() {
  std::erase_if(facts, [](const auto& f) { return !f.first.empty() && f.first[0] == 'e'; });
}

std::string VarToken(const clang::VarDecl* v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "v%p;", static_cast<const void*>(v));
  return buf;
}

}  // namespace pyrace::clint
