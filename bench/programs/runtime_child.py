"""The runtime alone, as the pyrace tool drives it: `python -c "import _pyrace;
_pyrace.bootstrap()" prog args` with PYTHONPATH=<runtime dir> and the trace on a pipe
that this process drains (encoding and writing the trace are part of the cost, the
analysis is not). Shared by run_overhead.py and races_bench.py."""
import contextlib
import os
import threading

BOOTSTRAP = "import _pyrace; _pyrace.bootstrap()"


@contextlib.contextmanager
def traced_child(python, runtime_dir, prog_args, options=""):
    """Yields (argv, env, pass_fds, drained) for one run; drained[0] is the trace's size
    once the block has ended."""
    r, w = os.pipe()
    env = dict(os.environ, PYTHONPATH=runtime_dir,
               PYRACE_RUNTIME_OPTIONS=("trace_fd=%d %s" % (w, options)).strip())
    drained = [0]

    def drain():
        while True:
            chunk = os.read(r, 1 << 20)
            if not chunk:
                break
            drained[0] += len(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        yield [python, "-c", BOOTSTRAP] + list(prog_args), env, (w,), drained
    finally:
        os.close(w)
        reader.join()
        os.close(r)
