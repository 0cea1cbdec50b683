# Prints its arguments, one per line: pyrace must hand everything after the script to
# the program, even arguments that look like pyrace's own options.
# fixture: helper (tests/e2e/cli_test.cpp)
import sys

for arg in sys.argv[1:]:
    print(arg)
