# Finds the Python interpreters the runtime is built for: one per minor version
# 3.10-3.15 whose development headers exist (3.14 and 3.15 come from the Debian-testing
# root scripts/setup.sh makes in the build tree, docs/interpreters.md). Free-threaded
# builds are skipped: the runtime relies on the GIL. The extension must match the
# interpreter's minor version, so every interpreter a user may pick with
# `pyrace run --python PATH` needs its own _pyrace<EXT_SUFFIX>.
#
# Sets, in the caller's scope:
#   PYRACE_PYTHON_MINORS           e.g. "310;311;312;313"
#   PYRACE_PYTHON_<minor>_EXE      the interpreter (resolved, not a pyenv shim)
#   PYRACE_PYTHON_<minor>_INCLUDE  directory holding Python.h (and, for an interpreter
#                                  outside the host's /usr, one for its multiarch pyconfig.h)
#   PYRACE_PYTHON_<minor>_SUFFIX   EXT_SUFFIX, ".cpython-311-x86_64-linux-gnu.so"
#   PYRACE_PYTHON_<minor>_VERSION  "3.11.7"
# and, for other directories (the e2e tests), the global property PYRACE_RUNTIME_PYTHONS:
# "<minor>=<interpreter>" for each.
# Override the search with -DPYRACE_PYTHONS="/path/python3.12;/path/python3.13".

set(PYRACE_DEBIAN_TESTING_ROOT "${PROJECT_BINARY_DIR}/debian-testing" CACHE PATH
    "The Debian-testing root scripts/debian-testing-root.sh makes (Python 3.14, 3.15)")

function(_pyrace_python_candidates out)
  set(cands)
  if(PYRACE_PYTHONS)
    set(${out} ${PYRACE_PYTHONS} PARENT_SCOPE)
    return()
  endif()
  # The default interpreter first: when two candidates share a minor version, the
  # one a user gets from `python3` wins.
  string(REPLACE ":" ";" path_dirs "$ENV{PATH}")
  foreach(name python3 python3.10 python3.11 python3.12 python3.13 python3.14 python3.15)
    foreach(dir ${path_dirs})
      if(EXISTS "${dir}/${name}" AND NOT IS_DIRECTORY "${dir}/${name}")
        list(APPEND cands "${dir}/${name}")
      endif()
    endforeach()
  endforeach()
  file(GLOB usr_pythons /usr/bin/python3 /usr/bin/python3.1[0-5])
  list(APPEND cands ${usr_pythons})
  # The Debian-testing root's interpreters, through their host launchers.
  file(GLOB root_pythons "${PYRACE_DEBIAN_TESTING_ROOT}/usr/bin/pyrace-host-python3.1[0-5]")
  list(SORT root_pythons)
  list(APPEND cands ${root_pythons})
  set(pyenv_roots "$ENV{PYENV_ROOT}" "$ENV{HOME}/.pyenv" "/root/.pyenv")
  foreach(root ${pyenv_roots})
    if(root AND IS_DIRECTORY "${root}/versions")
      file(GLOB pyenv_pythons "${root}/versions/3.1[0-5]*/bin/python3")
      list(SORT pyenv_pythons)
      list(APPEND cands ${pyenv_pythons})
    endif()
  endforeach()
  list(REMOVE_DUPLICATES cands)
  set(${out} ${cands} PARENT_SCOPE)
endfunction()

function(pyrace_find_pythons)
  _pyrace_python_candidates(cands)
  set(probe [=[
import os, sys, sysconfig
inc = sysconfig.get_paths()["include"]
arch = sysconfig.get_config_var("MULTIARCH") or ""
archinc = os.path.join(sys.base_prefix, "include", arch, "python%d.%d" % sys.version_info[:2])
print(";".join([str(sys.version_info[0]) + str(sys.version_info[1]),
                "%d.%d.%d" % sys.version_info[:3],
                os.path.realpath(sys.executable), inc,
                sysconfig.get_config_var("EXT_SUFFIX") or "",
                "1" if os.path.exists(os.path.join(inc, "Python.h")) else "0",
                "1" if sysconfig.get_config_var("Py_GIL_DISABLED") else "0",
                arch + "=" + archinc if arch and sys.base_prefix != "/usr" and os.path.isdir(archinc) else ""]))
]=])
  set(minors)
  foreach(exe ${cands})
    execute_process(COMMAND "${exe}" -c "${probe}"
                    OUTPUT_VARIABLE out ERROR_QUIET RESULT_VARIABLE rc
                    OUTPUT_STRIP_TRAILING_WHITESPACE TIMEOUT 20)
    if(NOT rc EQUAL 0 OR out STREQUAL "")
      continue()
    endif()
    list(LENGTH out n)
    if(NOT n EQUAL 8)
      continue()
    endif()
    list(GET out 0 minor)
    list(GET out 1 version)
    list(GET out 2 real_exe)
    list(GET out 3 include)
    list(GET out 4 suffix)
    list(GET out 5 has_headers)
    list(GET out 6 free_threaded)
    list(GET out 7 multiarch)
    if(minor MATCHES "^3(1[6-9]|[2-9][0-9])$")
      message(STATUS "pyrace: no runtime for Python ${version} (${real_exe}): newer than the "
                     "runtime's per-version layer, runtime/python/frame_walk.h (docs/interpreters.md)")
      continue()
    endif()
    if(NOT minor MATCHES "^31[0-5]$" OR NOT has_headers OR suffix STREQUAL "")
      continue()
    endif()
    if(free_threaded)
      message(STATUS "pyrace: no runtime for free-threaded Python ${version} (${real_exe}): "
                     "the runtime needs the GIL (docs/interpreters.md)")
      continue()
    endif()
    if(minor IN_LIST minors)
      continue()
    endif()
    list(APPEND minors ${minor})
    if(multiarch)
      # Debian's pyconfig.h includes <MULTIARCH/pythonX.Y/pyconfig.h>; outside the host's
      # /usr that directory is put on the include path alone, never the root's whole
      # include directory (its libc headers are not the host compiler's).
      string(REPLACE "=" ";" multiarch "${multiarch}")
      list(GET multiarch 0 arch)
      list(GET multiarch 1 archinc)
      get_filename_component(pyname "${archinc}" NAME)
      set(farm "${CMAKE_BINARY_DIR}/python-include/py${minor}")
      file(MAKE_DIRECTORY "${farm}/${arch}")
      file(CREATE_LINK "${archinc}" "${farm}/${arch}/${pyname}" SYMBOLIC)
      list(APPEND include "${farm}")
    endif()
    set(PYRACE_PYTHON_${minor}_EXE "${real_exe}" PARENT_SCOPE)
    set(PYRACE_PYTHON_${minor}_INCLUDE "${include}" PARENT_SCOPE)
    set(PYRACE_PYTHON_${minor}_SUFFIX "${suffix}" PARENT_SCOPE)
    set(PYRACE_PYTHON_${minor}_VERSION "${version}" PARENT_SCOPE)
    message(STATUS "pyrace: runtime for Python ${version} (${real_exe})")
    set_property(GLOBAL APPEND PROPERTY PYRACE_RUNTIME_PYTHONS "${minor}=${real_exe}")
  endforeach()
  list(SORT minors)
  if(NOT minors)
    message(WARNING "pyrace: no Python 3.10-3.15 with development headers found; "
                    "the _pyrace runtime is not built (install python3-dev)")
  endif()
  set(PYRACE_PYTHON_MINORS "${minors}" PARENT_SCOPE)
endfunction()
