# What `cmake --install` puts where (FHS, as Debian's own daemons): with
# CMAKE_INSTALL_PREFIX=/usr, the programs in /usr/bin, the plugins in
# /usr/lib/concertd/plugins, the configuration in /etc/concertd, the demo in
# /usr/share/concertd, the systemd unit, and the plugin SDK (header, CMake
# package, pkg-config file). The data folder, /var/lib/concertd, is made by
# the package (config/debian/postinst) or by systemd (StateDirectory).
include(GNUInstallDirs)

set(CONCERTD_PLUGIN_INSTALL_DIR lib/concertd/plugins)
set(CONCERTD_FULL_PLUGIN_DIR ${CMAKE_INSTALL_PREFIX}/${CONCERTD_PLUGIN_INSTALL_DIR})
set(CONCERTD_FULL_CONF_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/concertd)
set(CONCERTD_FULL_DATA_DIR ${CMAKE_INSTALL_FULL_LOCALSTATEDIR}/lib/concertd)
set(CONCERTD_FULL_SHARE_DIR ${CMAKE_INSTALL_FULL_DATADIR}/concertd)
set(CONCERTD_RUN_DIR /run/concertd)

install(TARGETS concertd concertctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS progress notify calendar veille adhesion web LIBRARY DESTINATION ${CONCERTD_PLUGIN_INSTALL_DIR})
install(FILES config/demo/lanaudiere.json DESTINATION ${CMAKE_INSTALL_DATADIR}/concertd/demo)
install(FILES README.md proto/PROTOCOL.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES plugins/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME PLUGINS.md)

# The installed configuration is config/concertd.conf with the installed
# places; each replaced line must be found, so the two cannot drift apart.
function(concertd_installed_line text from to)
  string(FIND "${${text}}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "cmake/ConcertdInstall.cmake: config/concertd.conf has no line \"${from}\" any more")
  endif()
  string(REPLACE "${from}" "${to}" out "${${text}}")
  set(${text} "${out}" PARENT_SCOPE)
endfunction()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/config/concertd.conf)
file(READ ${PROJECT_SOURCE_DIR}/config/concertd.conf conf)
# Not "demo" on a real table's server: the table names its node before the
# first start (the README's "Installing on a server" says so).
concertd_installed_line(conf "# in a federation; keep it once events have been written.\nid = demo"
  "# in a federation; keep it once events have been written. Name it after the\n# table before the first start (e.g. tpdsl, rqds).\nid = local")
concertd_installed_line(conf "data_dir = ../data" "data_dir = ${CONCERTD_FULL_DATA_DIR}")
concertd_installed_line(conf "path = ../build/plugins" "path = ${CONCERTD_FULL_PLUGIN_DIR}")
# Local clients reach the daemon through sockets in its run folder: only
# root and the members of the group concertd may open them.
concertd_installed_line(conf "command = tcp://127.0.0.1:7410" "command = ipc://${CONCERTD_RUN_DIR}/command")
concertd_installed_line(conf "events = tcp://127.0.0.1:7411" "events = ipc://${CONCERTD_RUN_DIR}/events")
concertd_installed_line(conf "concertd --demo config/demo/lanaudiere.json, as\n# tools/dev start does"
  "concertd --demo ${CONCERTD_FULL_SHARE_DIR}/demo/lanaudiere.json")
concertd_installed_line(conf "# file = demo/lanaudiere.json" "# file = ${CONCERTD_FULL_SHARE_DIR}/demo/lanaudiere.json")
concertd_installed_line(conf "# key_file = noeud.key" "# key_file = ${CONCERTD_FULL_DATA_DIR}/noeud.key")
concertd_installed_line(conf "#   concertctl keygen noeud.key"
  "#   sudo -u concertd concertctl keygen ${CONCERTD_FULL_DATA_DIR}/noeud.key")
file(WRITE ${PROJECT_BINARY_DIR}/installed/concertd.conf "${conf}")
install(FILES ${PROJECT_BINARY_DIR}/installed/concertd.conf DESTINATION ${CONCERTD_FULL_CONF_DIR})
# The texts of the messages, for the table to edit (conffiles in the package).
install(DIRECTORY config/notify DESTINATION ${CONCERTD_FULL_CONF_DIR} FILES_MATCHING PATTERN "*.txt")

# The systemd unit, with the installed programs' places.
configure_file(config/concertd.service.in ${PROJECT_BINARY_DIR}/installed/concertd.service @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/installed/concertd.service DESTINATION ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)

# The plugin SDK: concertd/plugin.h, find_package(concertd) and
# pkg-config concertd-plugin (see plugins/README.md).
install(FILES core/include/concertd/plugin.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/concertd)
install(FILES cmake/ConcertdPlugin.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/concertd)
include(CMakePackageConfigHelpers)
configure_package_config_file(cmake/concertd-config.cmake.in ${PROJECT_BINARY_DIR}/installed/concertd-config.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/concertd
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/installed/concertd-config-version.cmake
  COMPATIBILITY SameMinorVersion)
configure_file(cmake/concertd-plugin.pc.in ${PROJECT_BINARY_DIR}/installed/concertd-plugin.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/installed/concertd-config.cmake
  ${PROJECT_BINARY_DIR}/installed/concertd-config-version.cmake DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/concertd)
install(FILES ${PROJECT_BINARY_DIR}/installed/concertd-plugin.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# bash completion for concertctl (the manual pages: tools/man/CMakeLists.txt).
install(FILES tools/completion/concertctl.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME concertctl)
