# pty.fork() (os.forkpty): the child, on its own terminal, races with itself on a global
# in two threads; the parent reads what the child writes there and waits for it.
import os
import pty
import sys
import threading

total = 0


def bump(start):
    global total
    start.wait()
    for _ in range(2000):
        total += 1  # expect: data-race


def race():
    sys.setswitchinterval(1e-5)
    start = threading.Barrier(2)
    threads = [threading.Thread(target=bump, args=(start,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


pid, fd = pty.fork()
if pid == 0:
    race()
    print("child on a pty", flush=True)
    os._exit(0)
out = b""
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:  # EIO once the child's side is closed
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
print(out.decode().strip())
print("pty child exited", os.waitstatus_to_exitcode(status))
