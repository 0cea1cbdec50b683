"""Runs under the runtime (bootstrap): the per-version layer (frame_walk.h) reads the
same stack as traceback does, in every shape a stack takes, and its offsets are the
running interpreter's own."""
import sys
import threading
import traceback
import unittest

import _pyrace


def both():
    # One line, so both see the same line in this frame; this frame itself is dropped.
    walked, ref = _pyrace._walk_stack(), traceback.extract_stack()
    return walked, [(f.filename, f.lineno, f.name) for f in ref]


class Walk(unittest.TestCase):
    def check(self, got):
        walked, ref = got
        self.assertEqual(walked, ref)
        self.assertGreater(len(walked), 2)

    def test_nested_calls(self):
        def a():
            return b()

        def b():
            return both()
        self.check(a())

    def test_deep_recursion(self):
        def down(n):
            return both() if n == 0 else down(n - 1)
        got = down(150)
        self.check(got)
        self.assertGreater(len(got[0]), 150)

    def test_called_from_c(self):
        # map() and sorted() call back into Python from C (3.12+ shim frames).
        self.check(list(map(lambda _: both(), [0]))[0])
        out = []
        sorted([2, 1], key=lambda x: out.append(both()) or x)
        self.check(out[0])

    def test_generator_and_coroutine(self):
        def gen():
            yield both()
        self.check(next(gen()))

        async def coro():
            return both()
        c = coro()
        with self.assertRaises(StopIteration) as stop:
            c.send(None)
        self.check(stop.exception.value)

    def test_in_exception_handler_and_class_body(self):
        try:
            raise ValueError
        except ValueError:
            self.check(both())

        class C:
            got = both()
        self.check(C.got)

    def test_other_thread(self):
        out = []
        t = threading.Thread(target=lambda: out.append(both()))
        t.start()
        t.join()
        walked, ref = out[0]
        self.assertEqual(walked, ref)


class Layout(unittest.TestCase):
    def test_offsets_are_the_interpreters(self):
        layout = _pyrace._frame_layout()
        for field, (built, running) in layout.items():
            self.assertEqual(built, running, field)
        if sys.version_info >= (3, 13):
            # Only 3.13+ describe themselves (_Py_DebugOffsets).
            self.assertIn("interpreter_frame.previous", layout)
            self.assertIn("interpreter_frame.executable", layout)
            self.assertIn("thread_state.current_frame", layout)
        else:
            self.assertEqual(layout, {})


if __name__ == "__main__":
    unittest.main(verbosity=1)
