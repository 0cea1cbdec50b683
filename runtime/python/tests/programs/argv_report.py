import sys
print(repr(sys.argv), repr(sys.path[0]), repr(__file__), repr(__name__),
      sorted(k for k in globals() if not k.startswith("__") or k == "__cached__"))
