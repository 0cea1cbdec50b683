#!/usr/bin/env python3
"""unit.runtime.py3XX: drives the built _pyrace through bootstrap() the way the
pyrace tool does, with the trace on a pipe, and checks what the program and the
runtime do: lock semantics (lock_semantics.py), the program runner (argv, path,
errors and exit codes equal to plain python), the watchdog on real hangs and its
silence on normal waits, and a trace that survives os._exit and fork.

usage: run_tests.py RUNTIME_DIR    (run with the interpreter under test)
"""
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PROGS = os.path.join(HERE, "programs")
RUNTIME = None
# Fast watchdog so hangs end quickly; the rules are the same as with the defaults.
OPTS = "deadlock_grace_ms=400 watchdog_interval_ms=50"
# The same shape as the tool's runner (tool/cli/interpreter.cpp): it binds names in
# __main__ that the program must not see.
BOOT = ("import sys\ntry:\n    import _pyrace\nexcept ImportError as e:\n"
        "    sys.stderr.write('no runtime: %s\\n' % e)\n    sys.exit(121)\n_pyrace.bootstrap()\n")


def run(args, cwd=PROGS, opts=OPTS, timeout=60):
    """Runs python -c BOOT args with a trace pipe; returns (rc, out, err, trace bytes)."""
    r, low = os.pipe()
    # Above the program's descriptors, where the tool puts the pipe: the lowest free
    # ones stay the program's (programs/unchanged.py counts on them).
    w = fcntl.fcntl(low, fcntl.F_DUPFD, 1000)
    os.close(low)
    env = dict(os.environ, PYTHONPATH=RUNTIME,
               PYRACE_RUNTIME_OPTIONS="trace_fd=%d %s" % (w, opts))
    chunks = []

    def drain():
        while True:
            data = os.read(r, 65536)
            if not data:
                return
            chunks.append(data)
    reader = threading.Thread(target=drain)
    reader.start()
    try:
        p = subprocess.run([sys.executable, "-c", BOOT] + args, cwd=cwd, env=env, pass_fds=(w,),
                           capture_output=True, text=True, timeout=timeout)
    finally:
        os.close(w)
        reader.join()
        os.close(r)
    return p.returncode, p.stdout, p.stderr, b"".join(chunks)


def plain(args, cwd=PROGS):
    p = subprocess.run([sys.executable] + args, cwd=cwd, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


class Semantics(unittest.TestCase):
    def test_lock_semantics_suite(self):
        rc, out, err, trace = run([os.path.join(HERE, "lock_semantics.py")], timeout=120)
        self.assertEqual(rc, 0, err)
        self.assertIn("OK", err)
        self.assertGreater(len(trace), 0)

    def test_frame_layer_suite(self):
        rc, out, err, _ = run([os.path.join(HERE, "frame_layer.py")])
        self.assertEqual(rc, 0, err)
        self.assertIn("OK", err)


class AccessRecording(unittest.TestCase):
    def accesses(self, mode):
        rc, out, err, _ = run(["relock_loop.py", mode])
        self.assertEqual(rc, 0, err)
        n, recorded = out.split()
        self.assertEqual(n, "1000")
        return int(recorded)

    def test_updates_under_a_lock_the_thread_takes_back_itself_are_recorded_once(self):
        # Only the first of the 1000 (the lock goes to nobody else in between), and the
        # main thread's reads of box.n and access_stats for the print.
        self.assertLessEqual(self.accesses("relock"), 5)

    def test_an_update_after_a_release_nobody_took_back_is_recorded_each_time(self):
        # Another thread taking the lock then would be ordered after the release only,
        # not after the update that follows it.
        self.assertGreaterEqual(self.accesses("after_release"), 1000)


class Runner(unittest.TestCase):
    def test_script_argv_path_globals_equal_python(self):
        args = ["argv_report.py", "a", "-b"]
        self.assertEqual(run(args)[:2], plain(args)[:2])

    def test_missing_runtime_exit_code(self):
        env = dict(os.environ, PYTHONPATH="/nonexistent")
        p = subprocess.run([sys.executable, "-c", BOOT, "argv_report.py"], cwd=PROGS, env=env,
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 121)
        self.assertIn("no runtime", p.stderr)

    def test_module_argv_equal_python(self):
        args = ["-m", "pkg", "x"]
        self.assertEqual(run(args)[:2], plain(args)[:2])

    def test_missing_script(self):
        rc, _, err, _ = run(["no_such_file.py"])
        prc, _, perr = plain(["no_such_file.py"])
        self.assertEqual(rc, prc)
        self.assertEqual(rc, 2)
        self.assertIn("can't open file", err)
        self.assertIn("no_such_file.py': [Errno 2] No such file or directory", err)

    def test_missing_module(self):
        rc, _, err, _ = run(["-m", "no_such_module_xyz"])
        self.assertEqual(rc, 1)
        self.assertIn("No module named no_such_module_xyz", err)

    def test_syntax_error_prints_like_python(self):
        rc, _, err, _ = run(["syntax_error.py"])
        prc, _, perr = plain(["syntax_error.py"])
        self.assertEqual((rc, err), (prc, perr))

    def test_uncaught_exception_prints_like_python(self):
        rc, _, err, _ = run(["raises.py"])
        prc, _, perr = plain(["raises.py"])
        self.assertEqual((rc, err), (prc, perr))
        self.assertNotIn("<string>", err)

    def test_uncaught_exception_takes_pythons_own_path(self):
        # The sys.excepthook audit event, sys.last_value, a failing hook's two tracebacks.
        want = plain(["uncaught_hook.py"])
        self.assertIn("sys.excepthook hook RuntimeError('fatal-error')\n", want[1])
        self.assertIn("Error in sys.excepthook:", want[2])
        for detect in ("races,deadlocks", "deadlocks"):
            rc, out, err, _ = run(["uncaught_hook.py"], opts=OPTS + " detect=" + detect)
            self.assertEqual((rc, out, err), want, detect)

    def test_sys_exit_code_passes_through(self):
        for code in ("0", "3", "42"):
            self.assertEqual(run(["exits.py", code])[0], int(code))

    def test_os_exit_keeps_the_trace(self):
        rc, _, _, trace = run(["os_exit.py"])
        self.assertEqual(rc, 7)
        self.assertGreater(len(trace), 0)

    def test_fork_child_does_not_write_the_parent_trace(self):
        rc, out, err, trace = run(["fork_child.py"])
        self.assertEqual(rc, 0, err)
        self.assertIn("child 0", out)
        self.assertNotIn("multi-threaded", err)  # the watchdog thread must not count
        self.assertGreater(len(trace), 0)

    def test_forks_never_see_the_runtimes_threads(self):
        # A race: before the runtime waited for the kernel to drop its joined threads,
        # about one fork in 500 (one in 40 in a followed child under load) warned.
        rc, out, err, _ = run(["forks_repeatedly.py"])
        self.assertEqual((rc, out), (0, "forked 400\n"), err)
        self.assertNotIn("multi-threaded", err)

    def test_threads_forking_at_once_stop_and_start_the_watchdog_once(self):
        # Each fork's stop and start of the watchdog waits with the GIL released; before
        # they were serialized, threads joined one watchdog together and the interpreter
        # crashed or hung in about half the runs of this program.
        for detect in ("deadlocks", "races,deadlocks"):
            rc, out, err, _ = run(["forks_concurrently.py"], opts=OPTS + " detect=" + detect, timeout=120)
            self.assertEqual((rc, out), (0, "forked 160\n"), err)


class Unchanged(unittest.TestCase):
    """Objects die when the program lets them (no reference, weak or strong, of pyrace's
    shows or keeps them), user hooks run as often, deep structures are freed in bounded
    C stack (programs/unchanged.py)."""

    def check(self, detect):
        rc, out, err, _ = run(["unchanged.py"], opts=OPTS + " detect=" + detect, timeout=300)
        prc, pout, perr = plain(["unchanged.py"])
        self.assertEqual(prc, 0, perr)
        self.assertIn("class freed True", pout)
        self.assertEqual((rc, out), (prc, pout), err)

    def test_race_mode(self):
        self.check("races,deadlocks")

    def test_lock_only_mode(self):
        self.check("deadlocks")


class NoRuntime(unittest.TestCase):
    """A followed child whose interpreter has no runtime (another version, a free-
    threaded build) gets back its own PYTHONPATH and the sys.path of a plain run."""

    SHOW = ("import os, sys; here = sys.argv[1]; print(sys.path); "
            "print([k for k in sys.path_importer_cache if isinstance(k, str) and k.startswith(here)]); "
            "print(os.environ.get('PYTHONPATH'), sorted(k for k in os.environ if k.startswith('PYRACE')))")

    def test_sys_path_and_environment_are_a_plain_runs(self):
        with tempfile.TemporaryDirectory() as d:
            # The runtime's sitecustomize with no _pyrace beside it: its import fails.
            shutil.copy(os.path.join(RUNTIME, "sitecustomize.py"), d)
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYRACE")}
            traced = dict(env, PYTHONPATH=d + os.pathsep + "/own/dir", PYRACE_FOLLOW="1",
                          PYRACE_PYTHONPATH="+/own/dir", PYRACE_RUNTIME_OPTIONS="trace_socket=/nowhere")
            plain_env = dict(env, PYTHONPATH="/own/dir")
            got = subprocess.run([sys.executable, "-c", self.SHOW, d], env=traced, cwd=PROGS,
                                 capture_output=True, text=True, timeout=60)
            want = subprocess.run([sys.executable, "-c", self.SHOW, d], env=plain_env, cwd=PROGS,
                                  capture_output=True, text=True, timeout=60)
        self.assertEqual((got.returncode, got.stderr), (0, ""))
        self.assertEqual(got.stdout, want.stdout)
        self.assertIn("[]\n/own/dir []\n", got.stdout)


class Watchdog(unittest.TestCase):
    def assertDeadlock(self, prog):
        rc, _, err, trace = run([prog])
        self.assertEqual(rc, 66, err)
        self.assertIn("pyrace: deadlock detected, ending the run; see the report", err)
        self.assertGreater(len(trace), 0)

    def test_seed_get_value_ends(self):
        self.assertDeadlock("seed_get_value.py")

    def test_abba_cycle_ends(self):
        self.assertDeadlock("abba.py")

    def test_self_wait_ends(self):
        self.assertDeadlock("self_wait.py")

    def test_exitcode_option(self):
        rc, _, _, _ = run(["self_wait.py"], opts=OPTS + " exitcode=9")
        self.assertEqual(rc, 9)

    def test_normal_waits_are_not_deadlocks(self):
        rc, out, err, _ = run(["busy_clean.py"])
        self.assertEqual((rc, out.strip()), (0, "clean"), err)


if __name__ == "__main__":
    RUNTIME = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
