# aps_cli_test(NAME <name> EXIT <code> [MATCH <regex>] [NO_MATCH <regex>]
#              [LABELS ...] [FIXTURES ...] COMMAND <command...>)
# A ctest test that passes when the command exits with EXIT and its output
# matches MATCH (and not NO_MATCH).
function(aps_cli_test)
  cmake_parse_arguments(T "" "NAME;EXIT;MATCH;NO_MATCH;TIMEOUT" "COMMAND;LABELS;FIXTURES" ${ARGN})
  set(args -DEXIT=${T_EXIT})
  if(DEFINED T_MATCH)
    list(APPEND args "-DMATCH=${T_MATCH}")
  endif()
  if(DEFINED T_NO_MATCH)
    list(APPEND args "-DNO_MATCH=${T_NO_MATCH}")
  endif()
  # ctest would split a ;-list into separate arguments of cmake itself; carry
  # the command with a separator that no path or option contains.
  string(REPLACE ";" "@@" cmd "${T_COMMAND}")
  add_test(NAME "${T_NAME}" COMMAND ${CMAKE_COMMAND} "-DCOMMAND=${cmd}" ${args}
           -P ${PROJECT_SOURCE_DIR}/tests/cmake/expect_exit.cmake)
  if(T_LABELS)
    set_tests_properties("${T_NAME}" PROPERTIES LABELS "${T_LABELS}")
  endif()
  if(T_FIXTURES)
    set_tests_properties("${T_NAME}" PROPERTIES FIXTURES_REQUIRED "${T_FIXTURES}")
  endif()
  if(T_TIMEOUT)
    set_tests_properties("${T_NAME}" PROPERTIES TIMEOUT ${T_TIMEOUT})
  endif()
endfunction()
