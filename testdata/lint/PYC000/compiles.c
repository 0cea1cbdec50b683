/* The lookalike: unusual but valid C (a K&R-free macro maze, a label at the end of a
   block, a GNU statement expression) compiles, so it gets no PYC000. */
#include <Python.h>

#define TWICE(x) ((x) + (x))

static PyObject *
fine(PyObject *self, PyObject *args)
{
    long n = ({ long t = TWICE(2); t; });
    if (n != 4) goto out;
    Py_INCREF(self);
    return self;
out:
    ;
    Py_RETURN_NONE;
}
