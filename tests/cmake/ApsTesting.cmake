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
  if(T_UNPARSED_ARGUMENTS)
    # A ";" in a quoted MATCH or NO_MATCH splits it here, and the regex would
    # keep only its first part (write "." for a semicolon).
    message(FATAL_ERROR "aps_cli_test(${T_NAME}): unexpected arguments '${T_UNPARSED_ARGUMENTS}' (a ';' in a regex splits it)")
  endif()
  if(NOT T_COMMAND)
    # CMake lists nest on "[": an unbalanced one in MATCH or NO_MATCH swallows
    # every argument after it, COMMAND included (write "." for a bracket).
    message(FATAL_ERROR "aps_cli_test(${T_NAME}): no COMMAND (an unbalanced '[' in a regex swallows what follows it)")
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

# One row of a bad-option table, "<option>@@<value>...|<regex>": the option's
# name, its arguments as a list, and the message it must give. Split with
# string(FIND), not as a list: a regex's unbalanced "[" would glue list items.
function(aps_option_case row name_var args_var regex_var)
  string(FIND "${row}" "|" bar)
  string(SUBSTRING "${row}" 0 ${bar} args)
  math(EXPR after "${bar} + 1")
  string(SUBSTRING "${row}" ${after} -1 regex)
  string(REPLACE "@@" ";" args "${args}")
  list(GET args 0 name)
  set(${name_var} "${name}" PARENT_SCOPE)
  set(${args_var} "${args}" PARENT_SCOPE)
  set(${regex_var} "${regex}" PARENT_SCOPE)
endfunction()
