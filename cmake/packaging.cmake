# Installation (`cmake --install`) and the Debian package (`cpack -G DEB`; scripts/package.sh).
#
#   /usr/bin/ecompipe                                   the binary (stripped in the package)
#   /etc/ecompipe/ecompipe.yaml                         the commented default, paths under
#                                                       /var/lib/ecompipe (a conffile)
#   /lib/systemd/system/ecompipe.service                the unit (packaging/ecompipe.service)
#   /usr/share/man/man1/ecompipe.1.gz                   from the commands' own --help
#   /usr/share/bash-completion/completions/ecompipe     ... as are both completions
#   /usr/share/zsh/vendor-completions/_ecompipe
#   /usr/share/doc/ecompipe/{copyright,changelog.gz}
#
# The configuration and unit folders are absolute by default, as the service expects them
# there whatever the prefix; a staged install (DESTDIR) or -DEP_INSTALL_CONFIG_DIR=... moves them.
include(GNUInstallDirs)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(EP_INSTALL_CONFIG_DIR "/etc/ecompipe" CACHE PATH "Where ecompipe.yaml is installed")
set(EP_INSTALL_UNIT_DIR "/lib/systemd/system" CACHE PATH "Where ecompipe.service is installed")
set(EP_PACKAGE_STATE_DIR "/var/lib/ecompipe")
set(EP_PACKAGE_MAINTAINER "ecompipe maintainers <maintainers@ecompipe.example.org>"
    CACHE STRING "The Maintainer: of the Debian package")

# The man page and the completions, generated from the built binary's --help after each link.
set(cli_docs ${PROJECT_BINARY_DIR}/generated/cli)
add_custom_command(
  OUTPUT ${cli_docs}/ecompipe.1 ${cli_docs}/ecompipe.1.gz ${cli_docs}/ecompipe.bash
         ${cli_docs}/_ecompipe
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/cmake/cli_docs.py $<TARGET_FILE:ecompipe>
          ${cli_docs}
  DEPENDS ecompipe ${PROJECT_SOURCE_DIR}/cmake/cli_docs.py
  COMMENT "Writing the man page and completions from ecompipe --help" VERBATIM)
add_custom_target(ep_cli_docs ALL DEPENDS ${cli_docs}/ecompipe.1.gz)

# The packaged configuration: the default one with its relative paths (which resolve against
# the file's folder, /etc/ecompipe) moved to the service's state directory. Every replacement
# must match, so an edit of the default that breaks one fails here rather than in a package
# that would write into /etc.
set(packaged_yaml "${EP_DEFAULT_YAML_TEXT}")
foreach(pair "path: bucket\n|path: ${EP_PACKAGE_STATE_DIR}/bucket\n"
             "path: .ecompipe/state.db\n|path: ${EP_PACKAGE_STATE_DIR}/state.db\n"
             "path: warehouse.db\n|path: ${EP_PACKAGE_STATE_DIR}/warehouse.db\n"
             "path: notifications.jsonl}|path: ${EP_PACKAGE_STATE_DIR}/notifications.jsonl}")
  string(REPLACE "|" ";" pair "${pair}")
  list(GET pair 0 from)
  list(GET pair 1 to)
  string(FIND "${packaged_yaml}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "src/runtime/default_ecompipe.yaml no longer holds '${from}'; "
                        "update cmake/packaging.cmake's packaged paths")
  endif()
  string(REPLACE "${from}" "${to}" packaged_yaml "${packaged_yaml}")
endforeach()
string(REPLACE "# Every relative path below is relative to this file's folder.\n"
       "# Every relative path below is relative to this file's folder. As installed by the\n# ecompipe package, the paths are under ${EP_PACKAGE_STATE_DIR}, the service's\n# StateDirectory (docs/install.md).\n"
       packaged_yaml "${packaged_yaml}")
file(WRITE ${PROJECT_BINARY_DIR}/generated/package/ecompipe.yaml.tmp "${packaged_yaml}")
configure_file(${PROJECT_BINARY_DIR}/generated/package/ecompipe.yaml.tmp
               ${PROJECT_BINARY_DIR}/generated/package/ecompipe.yaml COPYONLY)

# Debian's changelog.gz, one entry for this version (SOURCE_DATE_EPOCH fixes its date).
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
file(WRITE ${PROJECT_BINARY_DIR}/generated/package/changelog
  "ecompipe (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
  "  * Built from the ecompipe sources, version ${PROJECT_VERSION}.\n\n"
  " -- ${EP_PACKAGE_MAINTAINER}  ${changelog_date}\n")
execute_process(COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/generated/package/changelog)

install(TARGETS ecompipe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/generated/package/ecompipe.yaml
        DESTINATION ${EP_INSTALL_CONFIG_DIR})
install(FILES ${PROJECT_SOURCE_DIR}/packaging/ecompipe.service DESTINATION ${EP_INSTALL_UNIT_DIR})
install(FILES ${cli_docs}/ecompipe.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${cli_docs}/ecompipe.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME ecompipe)
install(FILES ${cli_docs}/_ecompipe DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
install(FILES ${PROJECT_SOURCE_DIR}/packaging/debian/copyright
              ${PROJECT_BINARY_DIR}/generated/package/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ecompipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${EP_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "event-driven pipeline for e-commerce transaction files")
# CPack puts the summary first; this is the extended description below it.
set(CPACK_PACKAGE_DESCRIPTION
    "Files land in a bucket (a local folder, its own S3-compatible endpoint or an\n\
S3 bucket); rules route each landing to a crawler that records the schema in a\n\
catalog, and the crawler's success starts a job that validates, joins,\n\
classifies and loads a star-schema warehouse (SQLite, PostgreSQL or Redshift).\n\
Job state changes are published to log, email, webhook or SNS subscribers.\n\
Runs as a systemd service (ecompipe.service).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Depends: computed by dpkg-shlibdeps from the binary's libraries, plus what the maintainer
# scripts run.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# Stripped: the debug information, when the build has any (RelWithDebInfo), goes into
# ecompipe-dbgsym_VERSION_ARCH.ddeb (/usr/lib/debug/.build-id/, found by gdb through the
# binary's build id); CPack splits it out and strips the binary itself, so CPACK_STRIP_FILES
# stays off (it would leave nothing to split).
set(CPACK_DEBIAN_DEBUGINFO_PACKAGE ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
    ${PROJECT_SOURCE_DIR}/packaging/debian/prerm ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
