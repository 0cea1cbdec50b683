#include "tool/lint/facts_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include "runtime/model/fingerprint.h"

namespace pyrace::lint {
namespace {

// Bumped when the entry layout changes (the build identity covers changes of the facts).
constexpr uint32_t kFormat = 1;
constexpr char kMagic[8] = {'P', 'Y', 'R', 'F', 'A', 'C', 'T', 'S'};

// Every fact's fields, listed once for both directions: `a(x, y, ...)` writes or reads
// them in order. A field added to a fact must be added here.
template <class A> void Fields(A& a, Pos& p) { a(p.line, p.col, p.end_line, p.end_col); }
template <class A> void Fields(A& a, SyntaxError& e) { a(e.pos, e.message); }
template <class A> void Fields(A& a, Ref& r) { a(r.kind, r.a, r.b, r.chain, r.text); }
template <class A> void Fields(A& a, CtorInfo& c) { a(c.kind, c.arg, c.cls, c.bounded); }
template <class A> void Fields(A& a, Callee& c) { a(c.kind, c.a, c.b, c.object, c.text); }
template <class A> void Fields(A& a, AcquireFact& f) { a(f.ref, f.pos, f.held, f.via_with, f.blocking); }
template <class A> void Fields(A& a, CallFact& f) { a(f.callee, f.pos, f.held); }
template <class A> void Fields(A& a, AccessFact& f) {
  a(f.target, f.name, f.object, f.write, f.augmented, f.pos, f.held);
}
template <class A> void Fields(A& a, BlockingFact& f) { a(f.kind, f.receiver, f.callee_text, f.pos, f.held); }
template <class A> void Fields(A& a, CondOpFact& f) {
  a(f.op, f.receiver, f.method, f.pos, f.held, f.in_while, f.timed);
}
template <class A> void Fields(A& a, TargetFact& f) { a(f.callee, f.kind, f.via, f.method, f.executor, f.pos); }
template <class A> void Fields(A& a, MissedReleaseFact& f) {
  a(f.ref, f.acquire, f.exit, f.exit_kind, f.function_releases);
}
template <class A> void Fields(A& a, UnheldReleaseFact& f) {
  a(f.ref, f.release, f.acquire, f.try_acquire, f.never_acquired_here, f.after_release);
}
template <class A> void Fields(A& a, DoubleAcquireFact& f) { a(f.ref, f.second, f.first, f.via_with); }
template <class A> void Fields(A& a, FunctionFacts& f) {
  a(f.module, f.qualname, f.name, f.class_name, f.enclosing, f.pos, f.local_ctors, f.acquires, f.releases,
    f.signal_releases, f.calls, f.accesses, f.blocking, f.cond_ops, f.targets, f.missed, f.unheld, f.doubles);
}
template <class A> void Fields(A& a, ClassFacts& c) { a(c.name, c.bases, c.attrs, c.methods); }
template <class A> void Fields(A& a, Import& i) { a(i.module, i.name); }
template <class A> void Fields(A& a, FileFacts& f) {
  a(f.path, f.module, f.syntax_errors, f.read_error, f.read_error_message, f.globals, f.module_names, f.imports,
    f.classes, f.functions);
}

// A new field usually changes its fact's size (not always: it may fit in padding).
#if defined(__x86_64__) && defined(__GLIBCXX__)
#define kFactChanged "a fact changed: list its fields in Fields() above, then update its size here"
static_assert(sizeof(Pos) == 16, kFactChanged);
static_assert(sizeof(SyntaxError) == 48, kFactChanged);
static_assert(sizeof(Ref) == 136, kFactChanged);
static_assert(sizeof(CtorInfo) == 192, kFactChanged);
static_assert(sizeof(Callee) == 240, kFactChanged);
static_assert(sizeof(AcquireFact) == 184, kFactChanged);
static_assert(sizeof(CallFact) == 280, kFactChanged);
static_assert(sizeof(AccessFact) == 224, kFactChanged);
static_assert(sizeof(BlockingFact) == 224, kFactChanged);
static_assert(sizeof(CondOpFact) == 224, kFactChanged);
static_assert(sizeof(TargetFact) == 472, kFactChanged);
static_assert(sizeof(MissedReleaseFact) == 176, kFactChanged);
static_assert(sizeof(UnheldReleaseFact) == 176, kFactChanged);
static_assert(sizeof(DoubleAcquireFact) == 176, kFactChanged);
static_assert(sizeof(FunctionFacts) == 488, kFactChanged);
static_assert(sizeof(ClassFacts) == 128, kFactChanged);
static_assert(sizeof(Import) == 64, kFactChanged);
static_assert(sizeof(FileFacts) == 320, kFactChanged);
#undef kFactChanged
#endif

class Writer {
 public:
  std::string out;

  template <class... T>
  void operator()(T&... v) {
    (Io(v), ...);
  }

 private:
  void U32(uint32_t v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void Io(uint32_t& v) { U32(v); }
  void Io(bool& v) { out.push_back(v ? 1 : 0); }
  void Io(std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    out.append(s);
  }
  template <class T>
  void Io(std::vector<T>& v) {
    U32(static_cast<uint32_t>(v.size()));
    for (auto& e : v) Io(e);
  }
  template <class T>
  void Io(std::optional<T>& o) {
    bool has = o.has_value();
    Io(has);
    if (has) Io(*o);
  }
  template <class K, class V, class C>
  void Io(std::map<K, V, C>& m) {
    U32(static_cast<uint32_t>(m.size()));
    for (auto& [k, v] : m) {
      K key = k;
      Io(key);
      Io(v);
    }
  }
  template <class T>
  void Io(T& v) {
    if constexpr (std::is_enum_v<T>) {
      out.push_back(static_cast<char>(v));
    } else {
      Fields(*this, v);
    }
  }
};

// Reads what Writer wrote; any inconsistency (short data, a count larger than what is
// left) stops it with ok == false.
class Reader {
 public:
  Reader(const char* p, const char* end) : p_(p), end_(end) {}
  bool ok = true;
  bool AtEnd() const { return p_ == end_; }

  template <class... T>
  void operator()(T&... v) {
    (Io(v), ...);
  }

 private:
  bool Take(void* dst, size_t n) {
    if (!ok || static_cast<size_t>(end_ - p_) < n) return ok = false;
    std::memcpy(dst, p_, n);
    p_ += n;
    return true;
  }
  uint32_t Count() {
    uint32_t n = 0;
    Take(&n, sizeof n);
    if (n > static_cast<size_t>(end_ - p_)) ok = false;  // every element takes a byte at least
    return ok ? n : 0;
  }
  void Io(uint32_t& v) { Take(&v, sizeof v); }
  void Io(bool& v) {
    char c = 0;
    Take(&c, 1);
    v = c != 0;
  }
  void Io(std::string& s) {
    uint32_t n = Count();
    if (!ok) return;
    s.assign(p_, n);
    p_ += n;
  }
  template <class T>
  void Io(std::vector<T>& v) {
    uint32_t n = Count();
    v.clear();
    v.reserve(n);
    for (uint32_t i = 0; i < n && ok; ++i) Io(v.emplace_back());
  }
  template <class T>
  void Io(std::optional<T>& o) {
    bool has = false;
    Io(has);
    if (has) {
      Io(o.emplace());
    } else {
      o.reset();
    }
  }
  template <class K, class V, class C>
  void Io(std::map<K, V, C>& m) {
    uint32_t n = Count();
    m.clear();
    for (uint32_t i = 0; i < n && ok; ++i) {
      K key;
      Io(key);
      Io(m.emplace_hint(m.end(), std::move(key), V{})->second);
    }
  }
  template <class T>
  void Io(T& v) {
    if constexpr (std::is_enum_v<T>) {
      unsigned char c = 0;
      Take(&c, 1);
      v = static_cast<T>(c);
    } else {
      Fields(*this, v);
    }
  }

  const char* p_;
  const char* end_;
};

// The executable's identity: a rebuilt linter may extract differently.
std::string BuildIdentity() {
  struct stat st {};
  if (::stat("/proc/self/exe", &st) != 0) return "";  // unknown: no cache
  return std::string(PYRACE_VERSION) + "/" + std::to_string(kFormat) + "/" + std::to_string(st.st_size) + "/" +
         std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + "/" +
         std::to_string(st.st_ino);
}

bool ReadAll(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t len = 0;
  while (len < out->size()) {
    ssize_t n = ::read(fd, out->data() + len, out->size() - len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
  }
  ::close(fd);
  return len == out->size();
}

// The header every entry starts with: what it must match besides its name.
std::string Header(const std::string& path, const std::string& module, const std::string& text) {
  std::string h(kMagic, sizeof kMagic);
  Writer w;
  std::string p = path;
  std::string m = module;
  uint32_t size = static_cast<uint32_t>(text.size());
  std::string hash = Hex16(Fnv1a64(text));
  w(p, m, size, hash);
  return h + w.out;
}

}  // namespace

FactsCache::FactsCache(std::string dir) : dir_(std::move(dir)) {
  if (!dir_.empty()) build_ = BuildIdentity();
  if (build_.empty()) dir_.clear();
}

std::string FactsCache::Serialize(const FileFacts& facts, size_t lines) {
  Writer w;
  uint32_t n = static_cast<uint32_t>(lines);
  w(const_cast<FileFacts&>(facts), n);
  return std::move(w.out);
}

bool FactsCache::Deserialize(const std::string& bytes, FileFacts* out, size_t* lines) {
  Reader r(bytes.data(), bytes.data() + bytes.size());
  uint32_t n = 0;
  r(*out, n);
  *lines = n;
  return r.ok && r.AtEnd();
}

std::string FactsCache::EntryPath(const std::string& path, const std::string& module, const std::string& text) const {
  uint64_t h = Fnv1a64(build_);
  h = Fnv1a64(std::string_view("\0", 1), h);
  h = Fnv1a64(path, h);
  h = Fnv1a64(std::string_view("\0", 1), h);
  h = Fnv1a64(module, h);
  h = Fnv1a64(std::string_view("\0", 1), h);
  h = Fnv1a64(text, h);
  std::string name = Hex16(h);
  return dir_ + "/lint-facts/" + name.substr(0, 2) + "/" + name;
}

bool FactsCache::Load(const std::string& path, const std::string& module, const std::string& text, FileFacts* out,
                      size_t* lines) const {
  if (!enabled()) return false;
  std::string bytes;
  if (!ReadAll(EntryPath(path, module, text), &bytes)) return false;
  const std::string header = Header(path, module, text);
  if (bytes.compare(0, header.size(), header) != 0) return false;
  FileFacts f;
  if (!Deserialize(bytes.substr(header.size()), &f, lines)) return false;
  *out = std::move(f);
  return true;
}

void FactsCache::Store(const std::string& path, const std::string& module, const std::string& text,
                       const FileFacts& facts, size_t lines) const {
  if (!enabled()) return;
  const std::string entry = EntryPath(path, module, text);
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(entry).parent_path(), ec);
  if (ec) return;
  const std::string bytes = Header(path, module, text) + Serialize(facts, lines);
  const std::string tmp = entry + ".tmp" + std::to_string(::getpid()) + "." +
                          std::to_string(reinterpret_cast<uintptr_t>(&bytes));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool ok = ::close(fd) == 0 && done == bytes.size();
  if (!ok || ::rename(tmp.c_str(), entry.c_str()) != 0) ::unlink(tmp.c_str());
}

}  // namespace pyrace::lint
