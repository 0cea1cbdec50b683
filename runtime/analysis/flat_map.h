// An open-addressing hash map from a 64-bit key to a 32-bit value, for the lock
// graph's edge index: a lookup is a multiply and a few probes of one flat array, and
// only an insert that grows the table allocates.
#pragma once

#include <cstdint>
#include <vector>

namespace pyrace {

class FlatMap64 {
 public:
  static constexpr uint64_t kEmpty = UINT64_MAX;  // never a valid key

  // nullptr when absent.
  const uint32_t* Find(uint64_t key) const {
    if (slots_.empty()) return nullptr;
    for (size_t i = Slot(key);; i = (i + 1) & mask_) {
      const Entry& e = slots_[i];
      if (e.key == key) return &e.value;
      if (e.key == kEmpty) return nullptr;
    }
  }

  void Insert(uint64_t key, uint32_t value) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    for (size_t i = Slot(key);; i = (i + 1) & mask_) {
      Entry& e = slots_[i];
      if (e.key == key) {
        e.value = value;
        return;
      }
      if (e.key == kEmpty) {
        e = Entry{key, value};
        ++size_;
        return;
      }
    }
  }

  size_t size() const { return size_; }

 private:
  struct Entry {
    uint64_t key = kEmpty;
    uint32_t value = 0;
  };

  size_t Slot(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> 20) & mask_;
  }

  void Grow() {
    std::vector<Entry> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Entry{});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Entry& e : old) {
      if (e.key != kEmpty) Insert(e.key, e.value);
    }
  }

  std::vector<Entry> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace pyrace
