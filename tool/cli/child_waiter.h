// Waits for the program while the main thread reads its trace pipe.
//
// The pipe reaches EOF only when every process holding its write end has closed it. A
// process the program started and left running (a daemon, `subprocess` with
// close_fds=False) may have inherited it, and `pyrace run` would wait for that process
// instead of the program. So: once the program has exited and the reader has had a
// grace period to drain what it wrote, the pipe's read end is swapped for /dev/null
// and the reader is interrupted, so it sees EOF.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pyrace {

class ChildWaiter {
 public:
  ChildWaiter(pid_t child, int read_fd, std::chrono::milliseconds grace);
  ~ChildWaiter();
  ChildWaiter(const ChildWaiter&) = delete;
  ChildWaiter& operator=(const ChildWaiter&) = delete;

  // The reader returned: no need to cut the pipe any more.
  void ReaderDone();

  // The program's raw wait status (blocks until it has exited).
  int Status();

 private:
  void Run();

  const pid_t child_;
  const int read_fd_;
  const std::chrono::milliseconds grace_;
  const pthread_t reader_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool reader_done_ = false;
  bool exited_ = false;
  int status_ = 0;
  std::thread thread_;
};

}  // namespace pyrace
