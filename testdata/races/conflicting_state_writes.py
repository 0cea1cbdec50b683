# Two plain stores of one attribute from two threads, nothing ordering them: which value
# is left depends on the interleaving. Conflicting writes, reported at the store first
# in the source.
import threading


class Machine:
    def __init__(self):
        self.state = "idle"


machine = Machine()


def start():
    machine.state = "running"  # expect: data-race


def stop():
    machine.state = "stopped"


threads = [threading.Thread(target=start), threading.Thread(target=stop)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(machine.state in ("running", "stopped"))
