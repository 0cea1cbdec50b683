# Imported under a tracer by unchanged.py: rewritten in race mode, plain otherwise.
total = 0


def answer():
    global total
    total += 42
    return total
