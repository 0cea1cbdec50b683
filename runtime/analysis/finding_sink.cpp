#include "runtime/analysis/finding_sink.h"

#include <algorithm>

#include "runtime/model/fingerprint.h"

namespace pyrace {

std::string FindingSink::IndexKey(FindingKind kind, std::string_view dedup_key) {
  std::string key = FindingKindId(kind);
  key += '|';
  key += dedup_key;
  return key;
}

bool FindingSink::Bump(FindingKind kind, std::string_view dedup_key) {
  auto it = index_.find(IndexKey(kind, dedup_key));
  if (it == index_.end()) return false;
  ++entries_[it->second].finding.count;
  return true;
}

void FindingSink::MoveTo(FindingSink& out) {
  for (Entry& e : entries_) out.Add(std::move(e.finding), e.key, e.seq);
  entries_.clear();
  index_.clear();
}

const Finding* FindingSink::Add(Finding f, std::string_view dedup_key, uint64_t seq) {
  std::string key = IndexKey(f.kind, dedup_key);
  auto [it, inserted] = index_.try_emplace(key, entries_.size());
  if (!inserted) {
    Entry& old = entries_[it->second];
    old.finding.count += f.count;
    old.seq = std::min(old.seq, seq);
    return nullptr;
  }
  if (f.fingerprint.empty()) f.fingerprint = Fingerprint(key);
  entries_.push_back(Entry{std::move(f), std::string(dedup_key), seq});
  return &entries_.back().finding;
}

std::vector<Finding> FindingSink::Take(int max_findings) {
  std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
    if (a.finding.kind != b.finding.kind) return a.finding.kind < b.finding.kind;
    return a.seq < b.seq;
  });
  std::vector<Finding> out;
  out.reserve(entries_.size());
  for (Entry& e : entries_) {
    if (max_findings > 0 && out.size() >= static_cast<size_t>(max_findings)) break;
    out.push_back(std::move(e.finding));
  }
  entries_.clear();
  index_.clear();
  return out;
}

}  // namespace pyrace
