# threading.Timer: what the caller did before start() is ordered before the function,
# and the function before whoever joins the timer. Clean.
import sys
import threading

sys.setswitchinterval(1e-5)


class State:
    def __init__(self):
        self.config = None
        self.fired = 0


state = State()


def fire():
    state.fired = state.config + 1


state.config = 41
timer = threading.Timer(0.01, fire)
timer.start()
timer.join()
print(state.fired)
