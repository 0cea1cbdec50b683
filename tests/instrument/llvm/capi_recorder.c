/* A stand-in for the pyrace runtime's side of runtime/capi/pyrace_capi.h, for the
 * plugin test: installed as sys.modules["_pyrace"], it hands instrumented extensions a
 * table that records what they do. Hooks may run without the GIL, so they write into a
 * fixed C array; events() turns it into Python tuples later, with the GIL.
 *   events() -> [(event, file, line, what), ...]   event: "gil-not-held", "refcount",
 *   "api", "gil-released", "gil-acquired", "lock", "try-failed", "unlock"
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

#include "runtime/capi/pyrace_capi.h"

enum { kMax = 4096 };
static struct {
  const char* event;
  const PyraceCSite* site;
} records[kMax];
static int nrecords;

static void record(const char* event, const PyraceCSite* site) {
  int i = __atomic_fetch_add(&nrecords, 1, __ATOMIC_RELAXED);
  if (i < kMax) {
    records[i].event = event;
    records[i].site = site;
  }
}

static void on_refcount(const PyraceCSite* site, void* obj) {
  (void)obj;
  record(PyGILState_Check() ? "refcount" : "gil-not-held", site);
}
static void on_api(const PyraceCSite* site) { record(PyGILState_Check() ? "api" : "gil-not-held", site); }
static void on_gil_released(const PyraceCSite* site) { record("gil-released", site); }
static void on_gil_pre(const PyraceCSite* site) { (void)site; }
static void on_gil_acquired(const PyraceCSite* site) { record("gil-acquired", site); }
static void on_pre_lock(const PyraceCSite* site, void* lock, int try_lock) {
  (void)site, (void)lock, (void)try_lock;
}
static void on_post_lock(const PyraceCSite* site, void* lock, int try_lock, int acquired) {
  (void)lock, (void)try_lock;
  record(acquired ? "lock" : "try-failed", site);
}
static void on_pre_unlock(const PyraceCSite* site, void* lock) {
  (void)lock;
  record("unlock", site);
}

static PyraceCapiTable table = {
    PYRACE_CAPI_VERSION, on_refcount,  on_api,        on_gil_released, on_gil_pre,
    on_gil_acquired,     on_pre_lock, on_post_lock, on_pre_unlock,   NULL,
    NULL,
};

static PyObject* events(PyObject* self, PyObject* unused) {
  PyObject* out = PyList_New(0);
  int n = nrecords < kMax ? nrecords : kMax;
  for (int i = 0; out && i < n; i++) {
    const char* file = strrchr(records[i].site->file, '/');
    PyObject* t = Py_BuildValue("(ssIs)", records[i].event, file ? file + 1 : records[i].site->file,
                                records[i].site->line, records[i].site->what);
    if (!t || PyList_Append(out, t) < 0) Py_CLEAR(out);
    Py_XDECREF(t);
  }
  return out;
}

static PyObject* clear(PyObject* self, PyObject* unused) {
  nrecords = 0;
  Py_RETURN_NONE;
}

static PyMethodDef methods[] = {{"events", events, METH_NOARGS, NULL},
                                {"clear", clear, METH_NOARGS, NULL},
                                {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "capi_recorder", NULL, -1, methods};

PyMODINIT_FUNC PyInit_capi_recorder(void) {
  PyObject* m = PyModule_Create(&module);
  if (!m) return NULL;
  PyObject* cap = PyCapsule_New(&table, PYRACE_CAPI_CAPSULE, NULL);
  if (!cap || PyModule_AddObject(m, "_capi", cap) < 0) {
    Py_XDECREF(cap);
    Py_DECREF(m);
    return NULL;
  }
  return m;
}
