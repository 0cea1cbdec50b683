// Python call stacks as dense StackIds, each defined in the trace once.
//
// A stack is keyed by its chain of (code object, instruction offset) pairs, which
// is exactly what determines its (file, function, line) frames: a loop that
// acquires a lock at the same place costs a frame walk and a hash lookup, never a
// line-table decode or a string conversion. Code objects seen here are not kept
// alive (that would keep whatever exec() compiled alive too): the code type's
// deallocator is wrapped, and a key that names a dead code's address is resolved
// again before it can stand for other code at that address.
#pragma once

#include "runtime/python/py_compat.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "runtime/model/event.h"
#include "runtime/model/symbols.h"

namespace pyrace {
class TraceWriter;
}

namespace pyrace::py {

class StackDepot {
 public:
  explicit StackDepot(int max_depth);
  ~StackDepot();
  StackDepot(const StackDepot&) = delete;
  StackDepot& operator=(const StackDepot&) = delete;

  // Definitions go to this writer (null: ids are still handed out, nothing written).
  // A stack is written on top of one the writer has: a new writer starts with none of
  // them (a forked child's has all, but this costs only a few full stacks).
  void set_writer(TraceWriter* w) {
    writer_ = w;
    std::fill(std::begin(recent_), std::end(recent_), kNoStack);
  }

  // The calling thread's stack, walked without creating frame objects (frame_walk.h).
  // test: the test (node id) it is recorded in (test_context.h), 0 for none. The
  // same frames in two tests are two stacks, each defined with its test.
  StackId CaptureCurrent(StrId test = 0);
  // The stack from a given frame object (another thread's, a finished activation's).
  StackId Capture(PyFrameObject* top, StrId test = 0);
  // The stack of `top` when `base` is a stack captured earlier in the same frame
  // activation (a release in the frame that acquired): the callers of a function
  // activation never change, so only the top line is new and there is no frame walk.
  // Generator and coroutine frames are walked, since each resumption has its caller.
  StackId SameFrame(StackId base, PyFrameObject* top);
  // The same for an activation known by its code and offset alone (a frame without a
  // frame object, frame_walk.h); kNoStack when base cannot stand for its callers (an
  // unknown base, a generator or coroutine), and the caller walks instead.
  StackId SameActivation(StackId base, PyCodeObject* code, int lasti);
  StrId Intern(std::string_view s);
  // A string defined in the trace but not remembered: for the many that never repeat
  // (a dict entry's "cache['key-123']"), where an intern table would only grow.
  StrId DefineOnce(std::string_view s);
  // A stack of given frames (a C extension's call site above a captured Python stack).
  StackId DefineFrames(std::vector<Frame> frames) { return Define(std::move(frames)); }
  // The frames of a stack handed out here; empty for kNoStack or an unknown id. A
  // stack recorded in a test ends with a marker frame (IsTestMarker) that keeps the
  // test for stacks built from these frames (DefineFrames) and is never written.
  std::vector<Frame> FramesOf(StackId id) const {
    return id < frames_of_.size() && frames_of_[id] != nullptr ? *frames_of_[id] : std::vector<Frame>();
  }

  static bool IsTestMarker(const Frame& f) { return f.file == 0 && f.line == kTestMarkerLine; }

  // Walks stop below the calling frame (the `python -c` runner's own frame while the
  // program runs), so reports start at the user's code.
  void SetFloorHere();
  void ClearFloor();

  // A code object is being freed: no key may name its address any more.
  void ForgetCode(PyCodeObject* code);

 private:
  static constexpr uint32_t kTestMarkerLine = UINT32_MAX;

  struct KeyHash {
    size_t operator()(const std::vector<uintptr_t>& k) const;
  };
  struct FramesHash {
    size_t operator()(const std::vector<Frame>& k) const;
  };
  struct FramesEq {
    bool operator()(const std::vector<Frame>& a, const std::vector<Frame>& b) const;
  };
  struct CodeInfo {
    StrId file = 0;
    StrId function = 0;
  };
  // A key's stack, and the last code death (epoch_) it was checked against.
  struct KeyEntry {
    StackId id = kNoStack;
    uint64_t epoch = 0;
  };

  // A small direct-mapped cache in front of by_key_: a hit costs one compare of the
  // key words, no hashing of a std::vector and no allocation.
  static constexpr size_t kCacheSlots = 512;
  static constexpr size_t kCacheWords = 24;  // 12 frames
  struct CacheSlot {
    uint64_t hash = 0;
    uint32_t len = 0;  // 0 = empty
    StackId id = kNoStack;
    uintptr_t key[kCacheWords];
  };

  struct SameFrameSlot {
    StackId base = kNoStack;
    uintptr_t code = 0;
    int lasti = -1;
    StackId id = kNoStack;
  };

  // Building the key of a stack: (code, byte offset) per frame, innermost first.
  void BeginKey() {
    scratch_.clear();
    scratch_hash_ = 0;
  }
  void AddFrame(PyCodeObject* code, int lasti);
  StackId LookupKey(const uintptr_t* key, size_t len, uint64_t hash);
  StackId Resolve(const std::vector<uintptr_t>& key);
  // Whether a code the key names died after `since` (its address may be reused).
  bool Stale(const std::vector<uintptr_t>& key, uint64_t since) const;
  StackId Define(std::vector<Frame> frames);
  // Of the stacks written last, the one that shares the most callers with frames (at
  // least kMinSharedFrames), and how many; kNoStack when none does.
  StackId SharedCallers(const std::vector<Frame>& frames, size_t* shared) const;
  const CodeInfo& Code(PyCodeObject* code);
  StrId InternPy(PyObject* unicode);

  int max_depth_;
  TraceWriter* writer_ = nullptr;
  PyFrameObject* floor_ = nullptr;
  const void* raw_floor_ = nullptr;  // the same frame in the interpreter's frame chain
  uint64_t scratch_hash_ = 0;
  std::vector<CacheSlot> cache_ = std::vector<CacheSlot>(kCacheSlots);
  std::vector<SameFrameSlot> same_frame_ = std::vector<SameFrameSlot>(kCacheSlots);
  std::vector<const std::vector<Frame>*> frames_of_;  // by StackId, keys of by_frames_
  std::vector<uintptr_t> scratch_;  // reused key buffer: no allocation on a hit
  std::vector<uintptr_t> walk_;     // CaptureCurrent's key, 2 * max_depth_ words
  std::unordered_map<std::vector<uintptr_t>, KeyEntry, KeyHash> by_key_;
  std::unordered_map<std::vector<Frame>, StackId, FramesHash, FramesEq> by_frames_;
  // The stacks written last, newest at recent_next_ - 1: a new stack is written as its
  // innermost frames above the callers it shares with one of them (DefineStackOn).
  // Stacks defined one after another mostly come from the same caller chain (a test
  // runner's frames, a server's loop), so a few are enough and cost no index.
  static constexpr size_t kRecentStacks = 16;
  static constexpr size_t kMinSharedFrames = 2;
  StackId recent_[kRecentStacks] = {};
  size_t recent_next_ = 0;
  std::unordered_map<PyCodeObject*, CodeInfo> codes_;
  // Code address -> the epoch_ of its last death; epoch_ counts the deaths of codes
  // that keys name. One entry per address that ever held such code.
  std::unordered_map<uintptr_t, uint64_t> died_;
  uint64_t epoch_ = 0;
  std::unordered_map<std::string, StrId> strings_;
  StackId next_stack_ = 1;  // 0 = kNoStack
  StrId next_string_ = 1;   // 0 = ""
};

}  // namespace pyrace::py
