/* PYC000: a C file that does not compile is one finding at the compiler's first error;
   the other files of the run are still linted. */
#include <Python.h>

static PyObject *
half_written(PyObject *self, PyObject *args)
{
    Py_INCREF(self);
    return self->ob_missing_field;  // expect: PYC000
}
