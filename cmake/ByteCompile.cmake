# pyrace_byte_compile(<target> <file.py>...): a target, built by default, that writes
# each file's __pycache__/<stem>.cpython-3XX.pyc for every interpreter the runtime is
# built for (the global property PYRACE_RUNTIME_PYTHONS, cmake/Pythons.cmake).
#
# The runtime's Python (sitecustomize, the import hook) is imported at the start of
# every race-mode run and of every followed child. Compiled here, no run compiles it:
# not under PYTHONDONTWRITEBYTECODE, common in containers, where every child would
# compile it again, nor from a runtime directory the user cannot write.
function(pyrace_byte_compile target)
  get_property(pythons GLOBAL PROPERTY PYRACE_RUNTIME_PYTHONS)
  set(all_pycs)
  foreach(entry ${pythons})
    string(REPLACE "=" ";" entry "${entry}")
    list(GET entry 0 minor)
    list(GET entry 1 exe)
    set(pycs)
    foreach(py ${ARGN})
      get_filename_component(dir "${py}" DIRECTORY)
      get_filename_component(stem "${py}" NAME_WLE)
      list(APPEND pycs "${dir}/__pycache__/${stem}.cpython-${minor}.pyc")
    endforeach()
    # Where importlib looks for them: a pycache prefix in the environment would put
    # them elsewhere.
    add_custom_command(OUTPUT ${pycs}
                       COMMAND ${CMAKE_COMMAND} -E env --unset=PYTHONPYCACHEPREFIX
                               "${exe}" -m py_compile ${ARGN}
                       DEPENDS ${ARGN}
                       COMMENT "pyrace: byte-compiling ${target} for Python ${minor}")
    list(APPEND all_pycs ${pycs})
  endforeach()
  add_custom_target(${target} ALL DEPENDS ${all_pycs})
endfunction()
