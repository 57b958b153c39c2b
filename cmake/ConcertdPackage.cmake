# The Debian package, built by CPack from the install rules
# (cmake/ConcertdInstall.cmake): `tools/dev package`, or cpack -G DEB in a
# build configured with CMAKE_INSTALL_PREFIX=/usr.
#
# CPack rather than a debian/ folder: the install rules are the one list of
# what goes where, the same for `cmake --install` and the .deb, and it needs
# nothing beyond CMake and dpkg-dev (dpkg-shlibdeps for the exact Depends).
# The maintainer scripts are in config/debian/.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME concertd)
set(CPACK_PACKAGE_VENDOR "concertd")
set(CPACK_PACKAGE_CONTACT "concertd <concertd@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "concertation-platform daemon for social-development tables")
set(CPACK_PACKAGE_DESCRIPTION
  "concertd holds the plans d'action of regional concertation tables
(orientations, objectives, actions, échéances, indicators), publishes
their events over ZeroMQ and runs plugins for notifications, the
calendar of activities, the veille on programs and funding, member
adhésions and a web face. Tables federate over the network.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The exact runtime libraries, as dpkg-shlibdeps reads them off the binaries
# and the plugins; adduser for the postinst.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps") # procps: /bin/kill, the unit's ExecReload
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ca-certificates")
# What the administrator edits is kept on upgrade (dpkg asks when both changed).
file(GLOB notify_templates RELATIVE ${PROJECT_SOURCE_DIR}/config ${PROJECT_SOURCE_DIR}/config/notify/*.txt)
list(TRANSFORM notify_templates PREPEND "${CMAKE_INSTALL_FULL_SYSCONFDIR}/concertd/")
list(JOIN notify_templates "\n" notify_conffiles)
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles
  "${CMAKE_INSTALL_FULL_SYSCONFDIR}/concertd/concertd.conf\n${notify_conffiles}\n")
foreach(script postinst prerm postrm)
  configure_file(config/debian/${script} ${PROJECT_BINARY_DIR}/debian/${script} COPYONLY)
endforeach()
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_BINARY_DIR}/debian/conffiles ${PROJECT_BINARY_DIR}/debian/postinst
  ${PROJECT_BINARY_DIR}/debian/prerm ${PROJECT_BINARY_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
