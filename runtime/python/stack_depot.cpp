#include "runtime/python/stack_depot.h"

#include <algorithm>
#include <cstring>

#include "runtime/python/frame_walk.h"
#include "runtime/trace/trace.h"

namespace pyrace::py {

namespace {

inline size_t Mix(size_t h, uint64_t v) {
  v *= 0x9E3779B97F4A7C15ull;
  v ^= v >> 29;
  return (h ^ v) * 0xBF58476D1CE4E5B9ull;
}

// The cache key's hash, built frame by frame: a rotate and xor per word keeps the
// walk free of multiply chains (they were most of its cost); Finish spreads the
// bits over the cache slots once.
inline uint64_t Step(uint64_t h, uint64_t v) { return ((h << 7) | (h >> 57)) ^ v; }

// splitmix64's finalizer: every bit of the key reaches the low bits the slot uses.
inline uint64_t Finish(uint64_t h, uint64_t len) {
  h ^= len;
  h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ull;
  h = (h ^ (h >> 27)) * 0x94D049BB133111EBull;
  return h ^ (h >> 31);
}

inline bool SameWords(const uintptr_t* a, const uintptr_t* b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// The depot whose keys name code addresses (the recorder replaces its depot once,
// when recording starts).
StackDepot* g_live_depot = nullptr;
destructor g_code_dealloc = nullptr;

void CodeDeallocHook(PyObject* code) {
  if (g_live_depot != nullptr) g_live_depot->ForgetCode(reinterpret_cast<PyCodeObject*>(code));
  g_code_dealloc(code);
}

bool KeyNames(const uintptr_t* key, size_t len, uintptr_t code) {
  for (size_t i = 0; i < len; i += 2) {
    if (key[i] == code) return true;
  }
  return false;
}

}  // namespace

StackDepot::StackDepot(int max_depth) : max_depth_(max_depth < 1 ? 1 : max_depth) {
  g_live_depot = this;
}

StackDepot::~StackDepot() {
  if (g_live_depot == this) g_live_depot = nullptr;
}

void StackDepot::ForgetCode(PyCodeObject* code) {
  if (codes_.empty()) return;
  auto it = codes_.find(code);
  if (it == codes_.end()) return;
  if (writer_ == nullptr) {
    // Nothing is written any more (the run's end frees every code object): forget
    // every key at once rather than search them once per code.
    codes_.clear();
    by_key_.clear();
    died_.clear();
    for (CacheSlot& slot : cache_) slot.len = 0;
    for (SameFrameSlot& slot : same_frame_) slot = SameFrameSlot{};
    return;
  }
  codes_.erase(it);
  auto word = reinterpret_cast<uintptr_t>(code);
  for (CacheSlot& slot : cache_) {
    if (slot.len != 0 && KeyNames(slot.key, slot.len, word)) slot.len = 0;
  }
  for (SameFrameSlot& slot : same_frame_) {
    if (slot.code == word) slot = SameFrameSlot{};
  }
  // by_key_ is not searched here: that cost one pass over every stack key per dying
  // code, quadratic in a long run that compiles code (hypothesis, exec, pytest's
  // rewritten modules). The death is dated instead, and a key older than a death of
  // one of its codes is resolved again when it is next found (LookupKey).
  died_[word] = ++epoch_;
}

bool StackDepot::Stale(const std::vector<uintptr_t>& key, uint64_t since) const {
  for (size_t i = 0; i < key.size(); i += 2) {
    auto d = died_.find(key[i]);
    if (d != died_.end() && d->second > since) return true;
  }
  return false;
}

size_t StackDepot::KeyHash::operator()(const std::vector<uintptr_t>& k) const {
  size_t h = k.size();
  for (uintptr_t v : k) h = Mix(h, v);
  return h;
}

size_t StackDepot::FramesHash::operator()(const std::vector<Frame>& k) const {
  size_t h = k.size();
  for (const Frame& f : k) h = Mix(Mix(Mix(h, f.file), f.function), f.line);
  return h;
}

bool StackDepot::FramesEq::operator()(const std::vector<Frame>& a,
                                      const std::vector<Frame>& b) const {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].file != b[i].file || a[i].function != b[i].function || a[i].line != b[i].line) {
      return false;
    }
  }
  return true;
}

void StackDepot::AddFrame(PyCodeObject* code, int lasti) {
  auto code_word = reinterpret_cast<uintptr_t>(code);
  auto lasti_word = static_cast<uintptr_t>(lasti);
  scratch_.push_back(code_word);
  scratch_.push_back(lasti_word);
  scratch_hash_ = Step(Step(scratch_hash_, code_word), lasti_word);
}

// The hot path (every lock operation and recorded access): the key is written in
// place into a buffer sized once, and only copied into a vector on a cache miss.
StackId StackDepot::CaptureCurrent(StrId test) {
  if (walk_.size() < 2 * static_cast<size_t>(max_depth_) + 2) walk_.resize(2 * static_cast<size_t>(max_depth_) + 2);
  uintptr_t* key = walk_.data();
  uint64_t hash = 0;
  size_t n = 0;
  int depth = 0;
  for (RawFrame f = TopRawFrame(); f != nullptr && f != raw_floor_ && depth < max_depth_;
       f = RawBack(f), ++depth) {
    auto code = reinterpret_cast<uintptr_t>(RawCode(f));
    auto lasti = static_cast<uintptr_t>(RawLasti(f));
    key[n++] = code;
    key[n++] = lasti;
    hash = Step(Step(hash, code), lasti);
  }
  // The test as a last (code 0, test) pair: no code object is at address 0.
  if (test != 0 && n != 0) {
    key[n++] = 0;
    key[n++] = test;
    hash = Step(Step(hash, 0), test);
  }
  return LookupKey(key, n, Finish(hash, n));
}

StackId StackDepot::Capture(PyFrameObject* top, StrId test) {
  BeginKey();
  int depth = 0;
  for (PyFrameObject* f = top; f != nullptr && f != floor_ && depth < max_depth_;
       f = FrameBack(f), ++depth) {
    AddFrame(FrameCode(f), FrameLasti(f));
  }
  if (test != 0 && !scratch_.empty()) {
    scratch_.push_back(0);
    scratch_.push_back(test);
    scratch_hash_ = Step(Step(scratch_hash_, 0), test);
  }
  return LookupKey(scratch_.data(), scratch_.size(), Finish(scratch_hash_, scratch_.size()));
}

void StackDepot::SetFloorHere() {
  floor_ = CurrentFrame();
  raw_floor_ = TopRawFrame();
}

void StackDepot::ClearFloor() {
  floor_ = nullptr;
  raw_floor_ = nullptr;
}

StackId StackDepot::LookupKey(const uintptr_t* key, size_t len, uint64_t hash) {
  if (len == 0) return kNoStack;
  CacheSlot& slot = cache_[hash % kCacheSlots];
  if (slot.len == len && slot.hash == hash && SameWords(slot.key, key, len)) return slot.id;
  if (key != scratch_.data()) scratch_.assign(key, key + len);
  StackId id;
  auto it = by_key_.find(scratch_);
  if (it == by_key_.end()) {
    id = Resolve(scratch_);
    by_key_.emplace(scratch_, KeyEntry{id, epoch_});
  } else if (it->second.epoch == epoch_ || !Stale(it->first, it->second.epoch)) {
    id = it->second.id;
    it->second.epoch = epoch_;
  } else {
    // A code of this key died since, and this address is another code now.
    id = Resolve(scratch_);
    it->second = KeyEntry{id, epoch_};
  }
  if (len <= kCacheWords) {
    slot.hash = hash;
    slot.len = static_cast<uint32_t>(len);
    slot.id = id;
    std::memcpy(slot.key, key, len * sizeof(uintptr_t));
  }
  return id;
}

StackId StackDepot::Resolve(const std::vector<uintptr_t>& key) {
  std::vector<Frame> frames;
  frames.reserve(key.size() / 2);
  for (size_t i = 0; i < key.size(); i += 2) {
    if (key[i] == 0) {
      frames.push_back(Frame{0, static_cast<StrId>(key[i + 1]), kTestMarkerLine});
      continue;
    }
    auto* code = reinterpret_cast<PyCodeObject*>(key[i]);
    const CodeInfo& info = Code(code);
    int line = CodeLine(code, static_cast<int>(key[i + 1]));
    frames.push_back(Frame{info.file, info.function, static_cast<uint32_t>(line < 0 ? 0 : line)});
  }
  return Define(std::move(frames));
}

StackId StackDepot::SharedCallers(const std::vector<Frame>& frames, size_t* shared) const {
  auto same = [](const Frame& a, const Frame& b) {
    return a.file == b.file && a.function == b.function && a.line == b.line;
  };
  StackId best = kNoStack;
  size_t most = kMinSharedFrames - 1;
  for (StackId candidate : recent_) {
    if (candidate == kNoStack) continue;
    const std::vector<Frame>& other = *frames_of_[candidate];
    // Frames shared from the bottom; one of the stack's own stays on top.
    size_t n = 0;
    while (n + 1 < frames.size() && n < other.size() &&
           same(frames[frames.size() - 1 - n], other[other.size() - 1 - n])) {
      ++n;
    }
    if (n > most) {
      most = n;
      best = candidate;
    }
  }
  *shared = most;
  return best;
}

StackId StackDepot::Define(std::vector<Frame> frames) {
  auto it = by_frames_.find(frames);
  if (it != by_frames_.end()) return it->second;
  StackId id = next_stack_++;
  const bool written = writer_ != nullptr;
  if (written) {
    size_t shared = 0;
    // The test marker is the bottom frame: a stack that shares callers with another is
    // in the same test.
    if (StackId base = SharedCallers(frames, &shared); base != kNoStack) {
      const uint32_t drop = static_cast<uint32_t>(frames_of_[base]->size() - shared);
      writer_->DefineStackOn(id, base, drop, std::span<const Frame>(frames.data(), frames.size() - shared));
    } else {
      const bool in_test = !frames.empty() && IsTestMarker(frames.back());
      std::span<const Frame> shown(frames.data(), frames.size() - (in_test ? 1 : 0));
      writer_->DefineStack(id, shown);
      if (in_test) writer_->DefineStackTest(id, frames.back().function);
    }
  }
  auto ins = by_frames_.emplace(std::move(frames), id).first;
  if (frames_of_.size() <= id) frames_of_.resize(id + 1, nullptr);
  frames_of_[id] = &ins->first;
  if (written) recent_[recent_next_++ % kRecentStacks] = id;
  return id;
}

StackId StackDepot::SameFrame(StackId base, PyFrameObject* top) {
  StackId id = SameActivation(base, FrameCode(top), FrameLasti(top));
  return id != kNoStack ? id : Capture(top);
}

StackId StackDepot::SameActivation(StackId base, PyCodeObject* code, int lasti) {
  if (base == kNoStack || base >= frames_of_.size() || frames_of_[base] == nullptr) return kNoStack;
  // A generator or coroutine resumes from whichever caller calls next()/send().
  if (code->co_flags & (CO_GENERATOR | CO_COROUTINE | CO_ASYNC_GENERATOR | CO_ITERABLE_COROUTINE)) {
    return kNoStack;
  }
  auto code_word = reinterpret_cast<uintptr_t>(code);
  SameFrameSlot& slot = same_frame_[Mix(Mix(base, code_word), static_cast<uint64_t>(lasti)) % kCacheSlots];
  if (slot.base == base && slot.code == code_word && slot.lasti == lasti) return slot.id;
  std::vector<Frame> frames = *frames_of_[base];
  const CodeInfo& info = Code(code);
  int line = CodeLine(code, lasti);
  frames[0] = Frame{info.file, info.function, static_cast<uint32_t>(line < 0 ? 0 : line)};
  StackId id = Define(std::move(frames));
  slot = SameFrameSlot{base, code_word, lasti, id};
  return id;
}

const StackDepot::CodeInfo& StackDepot::Code(PyCodeObject* code) {
  auto it = codes_.find(code);
  if (it != codes_.end()) return it->second;
  if (g_code_dealloc == nullptr) {  // see the header: codes_ must learn of each death
    g_code_dealloc = PyCode_Type.tp_dealloc;
    PyCode_Type.tp_dealloc = &CodeDeallocHook;
  }
  CodeInfo info{InternPy(code->co_filename), InternPy(CodeQualName(code))};
  return codes_.emplace(code, info).first->second;
}

StrId StackDepot::InternPy(PyObject* unicode) {
  if (unicode == nullptr || !PyUnicode_Check(unicode)) return 0;
  Py_ssize_t n = 0;
  const char* s = PyUnicode_AsUTF8AndSize(unicode, &n);
  if (s == nullptr) {
    PyErr_Clear();
    return 0;
  }
  return Intern(std::string_view(s, static_cast<size_t>(n)));
}

StrId StackDepot::DefineOnce(std::string_view s) {
  if (s.empty()) return 0;
  StrId id = next_string_++;
  if (writer_ != nullptr) writer_->DefineString(id, s);
  return id;
}

StrId StackDepot::Intern(std::string_view s) {
  if (s.empty()) return 0;
  auto it = strings_.find(std::string(s));
  if (it != strings_.end()) return it->second;
  StrId id = next_string_++;
  if (writer_ != nullptr) writer_->DefineString(id, s);
  strings_.emplace(std::string(s), id);
  return id;
}

}  // namespace pyrace::py
