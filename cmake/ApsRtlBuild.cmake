# The RTL build's parameters and the host interface generated from its one
# description (rtl/aps_host_interface.json): the SystemVerilog package, the
# C++ header and the register tables of the docs, written into the build
# tree (generated/) at configure time. Editing the description or the
# generator re-runs the configure step.

set(APS_HOST_INTERFACE ${PROJECT_SOURCE_DIR}/rtl/aps_host_interface.json)
set(APS_HOST_INTERFACE_GENERATOR ${PROJECT_SOURCE_DIR}/tools/gen_host_interface.py)
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${APS_HOST_INTERFACE} ${APS_HOST_INTERFACE_GENERATOR})

# One cache option per build parameter, APS_RTL_<NAME>, its default and its
# meaning from the description. A value nobody chose (still the default it was
# given) follows the description when its default changes.
file(READ ${APS_HOST_INTERFACE} aps_interface_json)
string(JSON aps_parameter_count LENGTH "${aps_interface_json}" parameters)
math(EXPR aps_last_parameter "${aps_parameter_count} - 1")
set(APS_RTL_PARAMETERS "")
set(APS_RTL_GENERATOR_ARGS "")
foreach(i RANGE ${aps_last_parameter})
  string(JSON name MEMBER "${aps_interface_json}" parameters ${i})
  string(JSON default GET "${aps_interface_json}" parameters ${name} default)
  string(JSON doc GET "${aps_interface_json}" parameters ${name} doc)
  if(DEFINED APS_RTL_${name}_DEFAULT AND "${APS_RTL_${name}}" STREQUAL "${APS_RTL_${name}_DEFAULT}")
    set(APS_RTL_${name} ${default} CACHE STRING "RTL build parameter ${name}: ${doc}" FORCE)
  else()
    set(APS_RTL_${name} ${default} CACHE STRING "RTL build parameter ${name}: ${doc}")
  endif()
  set(APS_RTL_${name}_DEFAULT ${default} CACHE INTERNAL "")
  # Decimal only: the generator, CMake's math() and Verilator's -G would read
  # other spellings (0x80, 1_28) differently.
  if(NOT "${APS_RTL_${name}}" MATCHES "^[0-9]+$")
    message(FATAL_ERROR "APS_RTL_${name}: '${APS_RTL_${name}}' is not a decimal integer")
  endif()
  list(APPEND APS_RTL_PARAMETERS ${name})
  list(APPEND APS_RTL_GENERATOR_ARGS --param ${name}=${APS_RTL_${name}})
endforeach()

set(APS_GENERATED_DIR ${CMAKE_BINARY_DIR}/generated)
file(MAKE_DIRECTORY ${APS_GENERATED_DIR})
set(APS_HOST_IF_PKG ${APS_GENERATED_DIR}/aps_host_if_pkg.sv)
execute_process(
  COMMAND ${APS_PYTHON} ${APS_HOST_INTERFACE_GENERATOR} ${APS_HOST_INTERFACE}
          --sv ${APS_HOST_IF_PKG} --cpp ${APS_GENERATED_DIR}/host_interface.hpp
          --md ${APS_GENERATED_DIR}/host_interface.md ${APS_RTL_GENERATOR_ARGS}
  RESULT_VARIABLE aps_generator_result)
if(NOT aps_generator_result EQUAL 0)
  message(FATAL_ERROR "tools/gen_host_interface.py could not generate the host interface (see above)")
endif()

# What every Verilator run over the sources takes (the builds and the lint
# tests): the build parameters, and loop unrolling to match MAX_LAYERS. The
# per-step logs and the PCU slots are cleared in loops over MAX_LAYERS;
# Verilator takes a delayed assignment to an array element only in a loop it
# unrolls, by default one of at most 64 iterations and 30000 statements in
# all. A log-clearing body is about 300 statements (lint at MAX_LAYERS 128
# fails at 30000 and passes at 40000), so 400 per step; small builds keep
# Verilator's defaults.
set(APS_VERILATOR_ARGS "")
foreach(p ${APS_RTL_PARAMETERS})
  list(APPEND APS_VERILATOR_ARGS -G${p}=${APS_RTL_${p}})
endforeach()
set(aps_unroll_count 64)
if(APS_RTL_MAX_LAYERS GREATER aps_unroll_count)
  set(aps_unroll_count ${APS_RTL_MAX_LAYERS})
endif()
math(EXPR aps_unroll_stmts "400 * ${APS_RTL_MAX_LAYERS}")
if(aps_unroll_stmts LESS 30000)
  set(aps_unroll_stmts 30000)
endif()
list(APPEND APS_VERILATOR_ARGS --unroll-count ${aps_unroll_count} --unroll-stmts ${aps_unroll_stmts})

# The C++ side: #include "generated/host_interface.hpp".
add_library(aps_host_interface INTERFACE)
target_include_directories(aps_host_interface INTERFACE ${CMAKE_BINARY_DIR})
