# SanitizeTests.cmake - run the tests of a sanitizer build (FILTERD_SANITIZE)
# with every report in a file.
#
#   filterd_sanitize_tests()
#
# Called at the end of each CMakeLists.txt that registers tests. When
# FILTERD_SANITIZE is empty it does nothing. Otherwise every test of the
# calling directory gets ASAN_OPTIONS/LSAN_OPTIONS/UBSAN_OPTIONS that send
# each process's report (master, children, milter, tools, unit tests) to
# <build>/sanitize-logs/{asan,ubsan}.<pid> with the suppressions of
# tests/sanitize/, and requires the fixture "sanitize": the test
# sanitize_logs_clean empties that directory before the first test and
# sanitize_reports fails, printing them, when any report is there after
# the last one (tests/sanitize/reports). With clang (what ./bootstrap
# uses) the runtime is one and UBSAN_OPTIONS's log_path, read last, wins:
# every report is then a ubsan.<pid>; GCC 12 writes ASan's to asan.<pid>
# but UBSan's to stderr whatever log_path says.

include_guard(GLOBAL)

set(FILTERD_SANITIZE_LOGS ${CMAKE_BINARY_DIR}/sanitize-logs)
set(FILTERD_SANITIZE_SUPP ${CMAKE_SOURCE_DIR}/tests/sanitize)
# A child exits by exit(3) after its last session, so LSan checks it too;
# abort_on_error=0: an ASan error ends the process with exitcode 1 and
# its report in the file.
# quarantine_size_mb=64 (not 256): a test runs many children at once.
# FILTERD_SANITIZE tells the tests (harness.py: rss_test).
set(FILTERD_SANITIZE_ENV
  "FILTERD_SANITIZE=${FILTERD_SANITIZE}"
  "ASAN_OPTIONS=log_path=${FILTERD_SANITIZE_LOGS}/asan:detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:quarantine_size_mb=64"
  "LSAN_OPTIONS=suppressions=${FILTERD_SANITIZE_SUPP}/lsan.supp:print_suppressions=0"
  "UBSAN_OPTIONS=log_path=${FILTERD_SANITIZE_LOGS}/ubsan:print_stacktrace=1:halt_on_error=1:suppressions=${FILTERD_SANITIZE_SUPP}/ubsan.supp")

function(filterd_sanitize_tests)
  if(NOT FILTERD_SANITIZE)
    return()
  endif()
  get_directory_property(tests TESTS)
  foreach(t ${tests})
    if(t STREQUAL "sanitize_logs_clean" OR t STREQUAL "sanitize_reports")
      continue()
    endif()
    set_property(TEST ${t} APPEND PROPERTY ENVIRONMENT ${FILTERD_SANITIZE_ENV})
    set_property(TEST ${t} APPEND PROPERTY FIXTURES_REQUIRED sanitize)
  endforeach()
endfunction()
