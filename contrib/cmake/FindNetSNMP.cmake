# FindNetSNMP.cmake - the net-snmp agent library, for AgentX subagents.
#
#   find_package(NetSNMP [REQUIRED])
#
# Defines NetSNMP_FOUND, NetSNMP_VERSION (when known) and the imported
# target NetSNMP::agent (headers, libnetsnmpagent and libnetsnmp).
#
# Debian 12's libsnmp-dev ships netsnmp-agent.pc, older or other builds
# only net-snmp-config, some neither: pkg-config and net-snmp-config are
# used as hints only, and the header and libraries are found directly.
# A subagent needs libnetsnmpagent and libnetsnmp, not libnetsnmpmibs
# (the MIB modules of snmpd itself, which `net-snmp-config --agent-libs`
# adds, with libsensors and libpci behind it).

include_guard(GLOBAL)
include(FindPackageHandleStandardArgs)

set(_netsnmp_hint_inc)
set(_netsnmp_hint_lib)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(_NETSNMP_PC QUIET netsnmp-agent)
  if(_NETSNMP_PC_FOUND)
    list(APPEND _netsnmp_hint_inc ${_NETSNMP_PC_INCLUDE_DIRS})
    list(APPEND _netsnmp_hint_lib ${_NETSNMP_PC_LIBRARY_DIRS})
    set(NetSNMP_VERSION ${_NETSNMP_PC_VERSION})
  endif()
endif()
find_program(NET_SNMP_CONFIG net-snmp-config)
if(NET_SNMP_CONFIG)
  execute_process(COMMAND ${NET_SNMP_CONFIG} --prefix
    OUTPUT_VARIABLE _netsnmp_prefix OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET)
  if(_netsnmp_prefix)
    list(APPEND _netsnmp_hint_inc ${_netsnmp_prefix}/include)
    list(APPEND _netsnmp_hint_lib ${_netsnmp_prefix}/lib)
  endif()
  if(NOT NetSNMP_VERSION)
    execute_process(COMMAND ${NET_SNMP_CONFIG} --version
      OUTPUT_VARIABLE NetSNMP_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE
      ERROR_QUIET)
  endif()
endif()

find_path(NetSNMP_INCLUDE_DIR net-snmp/agent/net-snmp-agent-includes.h
  HINTS ${_netsnmp_hint_inc})
find_library(NetSNMP_AGENT_LIBRARY netsnmpagent HINTS ${_netsnmp_hint_lib})
find_library(NetSNMP_LIBRARY netsnmp HINTS ${_netsnmp_hint_lib})

find_package_handle_standard_args(NetSNMP
  REQUIRED_VARS NetSNMP_AGENT_LIBRARY NetSNMP_LIBRARY NetSNMP_INCLUDE_DIR
  VERSION_VAR NetSNMP_VERSION)

if(NetSNMP_FOUND AND NOT TARGET NetSNMP::agent)
  add_library(NetSNMP::agent INTERFACE IMPORTED)
  set_target_properties(NetSNMP::agent PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${NetSNMP_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "${NetSNMP_AGENT_LIBRARY};${NetSNMP_LIBRARY}")
endif()
mark_as_advanced(NetSNMP_INCLUDE_DIR NetSNMP_AGENT_LIBRARY NetSNMP_LIBRARY)
