# The twin of clean_terminated_while_helper_holds.py: the worker ends by itself (a
# multiprocessing child leaves through os._exit) still holding the helper's lock, which
# nothing releases. A missed release, in the child.
import multiprocessing
import threading

lock = threading.Lock()


def take():
    lock.acquire()  # expect: missed-release


def work():
    take()


if __name__ == "__main__":
    p = multiprocessing.get_context("fork").Process(target=work)
    p.start()
    p.join()
    print("worker exit code", p.exitcode)
