# A script that does not compile: Python's SyntaxError message, exit code 1.
# fixture: exit 1
def broken(:
    pass
