# concertd_subsystem(NAME SOURCES file.c… USES lib… [LIBS external…])
#
# One subsystem of core/: a static library cn_NAME built from its folder,
# whose headers its users include by name. USES lists the subsystems (and
# lib/'s cn_lib) it may call: only lower ones, which is the architecture.
#
# The direction is enforced at link time: layer_check_NAME links every
# object of cn_NAME (whole archive, so nothing is left out because no one
# called it) with only what USES and LIBS name. A call into a subsystem
# that is not below — a higher one, or one beside it — leaves an undefined
# symbol and fails the build, naming the function.
function(concertd_subsystem name)
  cmake_parse_arguments(SUB "" "" "SOURCES;USES;LIBS" ${ARGN})
  add_library(cn_${name} STATIC ${SUB_SOURCES})
  target_include_directories(cn_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(cn_${name} PUBLIC ${SUB_USES} ${SUB_LIBS})
  add_executable(layer_check_${name} ${PROJECT_SOURCE_DIR}/cmake/layer_check.c)
  target_link_libraries(layer_check_${name} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,cn_${name}>")
endfunction()
