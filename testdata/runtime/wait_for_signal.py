# Says it is ready, then sleeps: the end-to-end tests signal pyrace and check that the
# program, not pyrace, receives the signal.
# fixture: helper (tests/e2e/cli_test.cpp)
import sys
import time

print("ready", flush=True)
time.sleep(60)
sys.exit(9)
