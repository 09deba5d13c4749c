# aps_unit_tests(<part> <source>... LIBRARIES <target>...)
# One Catch2 executable per part of the code, its sources beside the part
# (<part>/tests/), one ctest test per TEST_CASE, named "<part>.<case>".
function(aps_unit_tests part)
  if(NOT BUILD_TESTING)
    return()
  endif()
  cmake_parse_arguments(U "" "" "LIBRARIES" ${ARGN})
  add_executable(${part}_tests ${U_UNPARSED_ARGUMENTS})
  target_link_libraries(${part}_tests PRIVATE ${U_LIBRARIES} Catch2::Catch2WithMain)
  target_compile_definitions(${part}_tests PRIVATE APS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  # --warn NoTests: a name ctest cannot pass on whole (a ";" splits it) fails
  # rather than run nothing and pass.
  catch_discover_tests(${part}_tests TEST_PREFIX "${part}." EXTRA_ARGS --warn NoTests)
endfunction()
