# conflicting_state_writes.py with both stores under the machine's lock: clean.
import threading


class Machine:
    def __init__(self):
        self.lock = threading.Lock()
        self.state = "idle"


machine = Machine()


def start():
    with machine.lock:
        machine.state = "running"


def stop():
    with machine.lock:
        machine.state = "stopped"


threads = [threading.Thread(target=start), threading.Thread(target=stop)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(machine.state in ("running", "stopped"))
