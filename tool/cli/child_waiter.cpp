#include "tool/cli/child_waiter.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "tool/cli/child_process.h"

namespace pyrace {
namespace {

constexpr int kWakeSignal = SIGUSR1;

void Ignore(int) {}

// Without SA_RESTART, so a blocked read() returns EINTR and the reader retries on the
// swapped descriptor.
void InstallWakeHandler() {
  struct sigaction sa {};
  sa.sa_handler = Ignore;
  sigemptyset(&sa.sa_mask);
  sigaction(kWakeSignal, &sa, nullptr);
}

}  // namespace

ChildWaiter::ChildWaiter(pid_t child, int read_fd, std::chrono::milliseconds grace)
    : child_(child), read_fd_(read_fd), grace_(grace), reader_thread_(pthread_self()) {
  InstallWakeHandler();
  thread_ = std::thread([this] { Run(); });
}

ChildWaiter::~ChildWaiter() {
  ReaderDone();
  thread_.join();
}

void ChildWaiter::ReaderDone() {
  std::lock_guard<std::mutex> lock(mu_);
  reader_done_ = true;
  cv_.notify_all();
}

int ChildWaiter::Status() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return exited_; });
  return status_;
}

void ChildWaiter::Run() {
  const int status = WaitChild(child_);
  std::unique_lock<std::mutex> lock(mu_);
  status_ = status;
  exited_ = true;
  cv_.notify_all();
  if (cv_.wait_for(lock, grace_, [this] { return reader_done_; })) return;
  // Someone else still holds the write end: end the read here.
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (devnull >= 0) {
    dup3(devnull, read_fd_, O_CLOEXEC);
    close(devnull);
  }
  while (!reader_done_) {
    pthread_kill(reader_thread_, kWakeSignal);
    cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

}  // namespace pyrace
