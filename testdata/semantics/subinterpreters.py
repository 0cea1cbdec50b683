"""What _xxsubinterpreters says of the main interpreter (3.10 to 3.12): the runtime's own
threads have thread states there, and 3.10's and 3.11's is_running(main) counted them
("interpreter has more than one thread"). With a second thread of the program it is
that error, as plainly."""

import threading

try:
    import _xxsubinterpreters as interpreters
except ImportError:
    interpreters = None

if interpreters is not None:
    main = interpreters.get_main()
    print(interpreters.is_running(main))
    interp = interpreters.create()
    print(interpreters.is_running(interp))
    interpreters.destroy(interp)
    started = threading.Event()
    finish = threading.Event()

    def wait():
        started.set()
        finish.wait()

    t = threading.Thread(target=wait)
    t.start()
    started.wait()
    try:
        print(interpreters.is_running(main))
    except RuntimeError as e:
        print("RuntimeError:", e)
    finish.set()
    t.join()
    print(interpreters.is_running(main))
    try:
        interpreters.is_running(12345)
    except RuntimeError as e:
        print("RuntimeError:", e)
    print(interpreters.is_running.__name__, interpreters.is_running.__doc__.splitlines()[0])
