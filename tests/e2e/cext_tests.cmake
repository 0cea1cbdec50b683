# e2e.cext.*: testdata/cext extensions built with clang 14 and the LLVM pass plugin,
# run under `pyrace run`; their `// expect:` annotations must equal the C findings.
# Included from tests/e2e/CMakeLists.txt (needs its e2e harness and the pyrace target).
find_program(PYRACE_CEXT_CLANG NAMES clang-14 clang)
find_program(PYRACE_CEXT_PYTHON NAMES python3)
if(NOT PYRACE_CEXT_CLANG OR NOT PYRACE_CEXT_PYTHON)
  message(FATAL_ERROR "the e2e.cext tests need clang-14 and python3 on PATH")
endif()
add_executable(e2e_cext_test ${CMAKE_CURRENT_LIST_DIR}/cext_test.cpp ${CMAKE_CURRENT_LIST_DIR}/harness.cpp)
target_link_libraries(e2e_cext_test PRIVATE GTest::gtest_main nlohmann_json::nlohmann_json)
target_compile_definitions(e2e_cext_test PRIVATE
  PYRACE_BIN="$<TARGET_FILE:pyrace>"
  PYRACE_TESTDATA="${PROJECT_SOURCE_DIR}/testdata/runtime"
  PYRACE_CEXT_DIR="${PROJECT_SOURCE_DIR}/testdata/cext"
  PYRACE_LLVM_PLUGIN="$<TARGET_FILE:pyrace_llvm>"
  PYRACE_CEXT_CLANG="${PYRACE_CEXT_CLANG}"
  PYRACE_CEXT_PYTHON="${PYRACE_CEXT_PYTHON}")
pyrace_warnings(e2e_cext_test)
add_dependencies(e2e_cext_test pyrace pyrace_llvm pyrace_runtime)
gtest_discover_tests(e2e_cext_test TEST_PREFIX e2e.cext. DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 120)
