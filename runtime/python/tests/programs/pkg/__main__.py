import sys; print("pkg main", repr(sys.argv))
