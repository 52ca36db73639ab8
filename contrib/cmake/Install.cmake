# contrib/cmake/Install.cmake - what "cmake --install" lays out besides
# the four binaries (filterd/CMakeLists.txt puts them in SBINDIR), in FHS
# places relative to CMAKE_INSTALL_PREFIX. GNUInstallDirs decides the
# configuration directory: /etc when the prefix is /usr (or SYSCONFDIR is
# given as an absolute path, as debhelper does), PREFIX/etc otherwise.
#
#   SYSCONFDIR/filterd/filterd.conf         contrib/filterd.conf, its
#                                           include() lines rewritten (0640)
#   SYSCONFDIR/filterd/policy-banks/*.conf  policy-banks/ (0640)
#   DATADIR/filterd/mib/                    FILTERD-MIB (+ ietf/ modules)
#   DATADIR/filterd/sql/                    schema, migrations, README
#   FILTERD_SYSTEMD_UNITDIR/filterd.service contrib/systemd/filterd.service.in
#                                           with this prefix's paths
#   FILTERD_SYSTEMD_UNITDIR/filterd-clamav.* a reload after freshclam
#   lib/tmpfiles.d/filterd.conf             run_dir
#   MANDIR/man5, MANDIR/man8                contrib/man/ (filterd.conf.5's
#                                           parameter list from filterd -d)

if(IS_ABSOLUTE "${CMAKE_INSTALL_SYSCONFDIR}" OR
   CMAKE_INSTALL_FULL_SYSCONFDIR STREQUAL "/etc")
  set(filterd_confdir "${CMAKE_INSTALL_FULL_SYSCONFDIR}/filterd")
else()
  # Relative: follows "cmake --install --prefix DIR" too.
  set(filterd_confdir "${CMAKE_INSTALL_SYSCONFDIR}/filterd")
endif()
set(FILTERD_CONFDIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/filterd")
set(FILTERD_SBINDIR "${CMAKE_INSTALL_FULL_SBINDIR}")
set(FILTERD_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
  "Where the systemd unit is installed (relative: under the prefix)")

# The main configuration, with include("../policy-banks/X") (the
# checkout's layout) rewritten to include("policy-banks/X"): installed,
# the banks sit beside it.
set(filterd_conf_out ${CMAKE_BINARY_DIR}/install/filterd.conf)
add_custom_command(OUTPUT ${filterd_conf_out}
  COMMAND ${CMAKE_COMMAND} -DIN=${PROJECT_SOURCE_DIR}/contrib/filterd.conf
    -DOUT=${filterd_conf_out}
    -P ${PROJECT_SOURCE_DIR}/contrib/cmake/conf_install.cmake
  DEPENDS ${PROJECT_SOURCE_DIR}/contrib/filterd.conf
    ${PROJECT_SOURCE_DIR}/contrib/cmake/conf_install.cmake)

# filterd.conf(5): the prose by hand, the parameters from filterd -d, so
# that the page lists exactly the keys of the binary it comes with.
set(filterd_conf_man ${CMAKE_BINARY_DIR}/man/filterd.conf.5)
add_custom_command(OUTPUT ${filterd_conf_man}
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=0
    sh ${PROJECT_SOURCE_DIR}/contrib/man/gen-conf-man
    $<TARGET_FILE:filterd> ${PROJECT_SOURCE_DIR}/contrib/man/filterd.conf.5.in
    ${filterd_conf_man}
  DEPENDS filterd ${PROJECT_SOURCE_DIR}/contrib/man/gen-conf-man
    ${PROJECT_SOURCE_DIR}/contrib/man/filterd.conf.5.in)
add_custom_target(filterd_install_files ALL
  DEPENDS ${filterd_conf_out} ${filterd_conf_man})

configure_file(${PROJECT_SOURCE_DIR}/contrib/systemd/filterd.service.in
  ${CMAKE_BINARY_DIR}/install/filterd.service @ONLY)

# 0640: filterd.conf may hold SQL passwords (storage, lookup DSNs) and
# the banks addresses; only the master, as root, reads them.
install(FILES ${filterd_conf_out} DESTINATION ${filterd_confdir}
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/policy-banks/
  DESTINATION ${filterd_confdir}/policy-banks
  FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ
  FILES_MATCHING PATTERN "*.conf")
install(FILES ${PROJECT_SOURCE_DIR}/snmp-mib/FILTERD-MIB.txt
  DESTINATION ${CMAKE_INSTALL_DATADIR}/filterd/mib)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/snmp-mib/ietf/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/filterd/mib/ietf)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sql/
  DESTINATION ${CMAKE_INSTALL_DATADIR}/filterd/sql)
install(FILES ${CMAKE_BINARY_DIR}/install/filterd.service
  DESTINATION ${FILTERD_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/contrib/systemd/filterd-clamav.path
  ${PROJECT_SOURCE_DIR}/contrib/systemd/filterd-clamav.service
  DESTINATION ${FILTERD_SYSTEMD_UNITDIR})
install(FILES ${PROJECT_SOURCE_DIR}/contrib/systemd/filterd.tmpfiles
  DESTINATION lib/tmpfiles.d RENAME filterd.conf)
install(FILES ${filterd_conf_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${PROJECT_SOURCE_DIR}/contrib/man/filterd.8
  ${PROJECT_SOURCE_DIR}/contrib/man/filterd-nanny.8
  ${PROJECT_SOURCE_DIR}/contrib/man/filterd-sql.8
  ${PROJECT_SOURCE_DIR}/contrib/man/filterd-release.8
  DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
if(WITH_SNMP)
  install(FILES ${PROJECT_SOURCE_DIR}/contrib/man/filterd-snmp.8
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
endif()
