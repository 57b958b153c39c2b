# concertd_add_plugin(NAME SOURCES file.c… [INCLUDE_DIR dir] [OUTPUT_DIR dir])
#
# Builds NAME.so, a concertd plugin, into OUTPUT_DIR, by default
# ${CMAKE_BINARY_DIR}/plugins (the folder concertd's default configuration
# searches). Works in the concertd
# tree and out of it: an out-of-tree project needs only this file and the
# folder holding concertd/plugin.h (pass it as INCLUDE_DIR, or set
# CONCERTD_INCLUDE_DIR), plus Debian's libmsgpack-dev and libsqlite3-dev.
#
#   include(/path/to/concertd/cmake/ConcertdPlugin.cmake)
#   concertd_add_plugin(hello SOURCES hello.c INCLUDE_DIR /path/to/concertd/core/include)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CONCERTD_PLUGIN_MSGPACK REQUIRED IMPORTED_TARGET msgpack)
pkg_check_modules(CONCERTD_PLUGIN_SQLITE REQUIRED IMPORTED_TARGET sqlite3)

function(concertd_add_plugin name)
  cmake_parse_arguments(PLUGIN "" "INCLUDE_DIR;OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT PLUGIN_OUTPUT_DIR)
    set(PLUGIN_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
  endif()
  if(NOT PLUGIN_INCLUDE_DIR)
    if(CONCERTD_INCLUDE_DIR)
      set(PLUGIN_INCLUDE_DIR ${CONCERTD_INCLUDE_DIR})
    else()
      get_filename_component(PLUGIN_INCLUDE_DIR "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../core/include" ABSOLUTE)
    endif()
  endif()
  add_library(${name} MODULE ${PLUGIN_SOURCES})
  # The file is NAME.so, not libNAME.so: concertd loads plugins by name.
  set_target_properties(${name} PROPERTIES PREFIX "" C_STANDARD 11 C_VISIBILITY_PRESET hidden
    LIBRARY_OUTPUT_DIRECTORY ${PLUGIN_OUTPUT_DIR})
  target_include_directories(${name} PRIVATE ${PLUGIN_INCLUDE_DIR})
  target_link_libraries(${name} PRIVATE PkgConfig::CONCERTD_PLUGIN_MSGPACK PkgConfig::CONCERTD_PLUGIN_SQLITE)
endfunction()
