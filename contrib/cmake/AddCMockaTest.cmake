# AddCMockaTest.cmake - register a cmocka unit test with ctest.
#
#   add_cmocka_test(NAME
#                   SOURCES file.c ...
#                   [COMPILE_OPTIONS opt ...]
#                   [LINK_LIBRARIES lib ...]
#                   [LINK_OPTIONS opt ...]
#                   [LABELS label ...])
#
# Builds executable NAME from SOURCES and registers it as test NAME with
# the label "unit" (plus LABELS). The test runs in the build directory.

include_guard(GLOBAL)

function(add_cmocka_test name)
  cmake_parse_arguments(ACT ""
    ""
    "SOURCES;COMPILE_OPTIONS;LINK_LIBRARIES;LINK_OPTIONS;LABELS"
    ${ARGN})

  if(NOT ACT_SOURCES)
    message(FATAL_ERROR "add_cmocka_test(${name}): SOURCES is required")
  endif()
  if(ACT_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
      "add_cmocka_test(${name}): unknown arguments ${ACT_UNPARSED_ARGUMENTS}")
  endif()

  add_executable(${name} ${ACT_SOURCES})
  if(ACT_COMPILE_OPTIONS)
    target_compile_options(${name} PRIVATE ${ACT_COMPILE_OPTIONS})
  endif()
  if(ACT_LINK_LIBRARIES)
    target_link_libraries(${name} PRIVATE ${ACT_LINK_LIBRARIES})
  endif()
  if(ACT_LINK_OPTIONS)
    target_link_options(${name} PRIVATE ${ACT_LINK_OPTIONS})
  endif()

  add_test(NAME ${name} COMMAND ${name}
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set(labels unit ${ACT_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}" TIMEOUT 120)
endfunction()
