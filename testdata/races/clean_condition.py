# A state machine advanced under a Condition, waited for with wait_for(): clean.
import sys
import threading

sys.setswitchinterval(1e-5)


class Stage:
    def __init__(self):
        self.cond = threading.Condition()
        self.step = 0
        self.data = []


def advance(stage, me, rounds):
    for _ in range(rounds):
        with stage.cond:
            stage.cond.wait_for(lambda: stage.step % 2 == me)
            stage.data.append(me)
            stage.step += 1
            stage.cond.notify_all()


stage = Stage()
threads = [threading.Thread(target=advance, args=(stage, i, 200)) for i in (0, 1)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(stage.step, len(stage.data))
