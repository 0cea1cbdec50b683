/* Annotations for an extension's own locks (TSan's shape). Without pyrace's pass plugin
 * they are empty inline functions; compiled with -fpass-plugin=libpyrace_llvm.so, each
 * call becomes the matching runtime hook (runtime/capi/pyrace_capi.h) with its C site,
 * so the lock joins the GIL and Python's locks in pyrace's lock graph.
 *
 *   pyrace_mutex_create(&m);
 *   pyrace_mutex_pre_lock(&m, 0);  my_lock(&m);  pyrace_mutex_post_lock(&m, 0, 1);
 *   pyrace_mutex_pre_unlock(&m);   my_unlock(&m);
 *   pyrace_mutex_destroy(&m);
 */
#ifndef PYRACE_ANNOTATIONS_H
#define PYRACE_ANNOTATIONS_H

#if defined(__GNUC__) || defined(__clang__)
#define PYRACE_ANNOTATION static inline __attribute__((noinline, used))
#else
#define PYRACE_ANNOTATION static inline
#endif

PYRACE_ANNOTATION void pyrace_mutex_create(void* lock) { (void)lock; }
PYRACE_ANNOTATION void pyrace_mutex_destroy(void* lock) { (void)lock; }
PYRACE_ANNOTATION void pyrace_mutex_pre_lock(void* lock, int try_lock) {
  (void)lock;
  (void)try_lock;
}
PYRACE_ANNOTATION void pyrace_mutex_post_lock(void* lock, int try_lock, int acquired) {
  (void)lock;
  (void)try_lock;
  (void)acquired;
}
PYRACE_ANNOTATION void pyrace_mutex_pre_unlock(void* lock) { (void)lock; }

#endif /* PYRACE_ANNOTATIONS_H */
