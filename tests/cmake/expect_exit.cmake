# Runs a command and checks its exit code and output; used as
#   cmake -DCOMMAND=<arguments joined by @@> -DEXIT=<code> [-DMATCH=<regex>] [-DNO_MATCH=<regex>] -P expect_exit.cmake
# (ctest's PASS_REGULAR_EXPRESSION ignores the exit code, which is half of
# what a command-line contract says.)
string(REPLACE "@@" ";" COMMAND "${COMMAND}")
execute_process(COMMAND ${COMMAND} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT "${rc}" STREQUAL "${EXIT}")
  message(FATAL_ERROR "expected exit code ${EXIT}, got ${rc}")
endif()
if(DEFINED MATCH AND NOT "${out}${err}" MATCHES "${MATCH}")
  message(FATAL_ERROR "output does not match: ${MATCH}")
endif()
if(DEFINED NO_MATCH AND "${out}${err}" MATCHES "${NO_MATCH}")
  message(FATAL_ERROR "output matches what it must not: ${NO_MATCH}")
endif()
