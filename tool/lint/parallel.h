// The linter's one worker pool: runs body(i) for every i in [0, n) on up to `jobs` threads,
// the calling thread among them, each taking the next index when it finishes one. Bodies
// write only to what index i owns; results are read after ParallelFor returns.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace pyrace::lint {

template <class Body>
void ParallelFor(size_t n, unsigned jobs, Body&& body) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) body(i);
  };
  const size_t threads = std::max<size_t>(1, std::min<size_t>(jobs, n));
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
}

}  // namespace pyrace::lint
