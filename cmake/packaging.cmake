# `make package`: a Debian package of latchkeyd and the latchkey CLI (CPack DEB), with the
# systemd unit, the default config (a conffile), logrotate, man pages generated from --help at
# build time, and maintainer scripts that create the latchkey user and run `latchkeyd init`
# once (deploy/debian/, docs/operations.md "Packaging").

if(NOT TARGET latchkeyd OR NOT TARGET latchkey)
  return()
endif()

set(LATCHKEY_MAN_DIR ${PROJECT_BINARY_DIR}/man)
foreach(prog latchkeyd latchkey)
  add_custom_command(
    OUTPUT ${LATCHKEY_MAN_DIR}/${prog}.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${LATCHKEY_MAN_DIR}
    COMMAND bash ${PROJECT_SOURCE_DIR}/cmake/help2man.sh $<TARGET_FILE:${prog}> ${prog}
            "latchkey manual" ${PROJECT_VERSION} ${LATCHKEY_MAN_DIR}/${prog}.1
    COMMAND gzip -9nf ${LATCHKEY_MAN_DIR}/${prog}.1
    DEPENDS ${prog} ${PROJECT_SOURCE_DIR}/cmake/help2man.sh
    COMMENT "Man page ${prog}(1) from --help"
    VERBATIM)
endforeach()
add_custom_target(man_pages ALL
  DEPENDS ${LATCHKEY_MAN_DIR}/latchkeyd.1.gz ${LATCHKEY_MAN_DIR}/latchkey.1.gz)

install(TARGETS latchkeyd latchkey RUNTIME DESTINATION bin COMPONENT latchkey)
install(FILES ${LATCHKEY_MAN_DIR}/latchkeyd.1.gz ${LATCHKEY_MAN_DIR}/latchkey.1.gz
        DESTINATION share/man/man1 COMPONENT latchkey)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/latchkeyd.service
        DESTINATION lib/systemd/system COMPONENT latchkey)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/latchkey.toml
        DESTINATION /etc/latchkey PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        COMPONENT latchkey)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/logrotate DESTINATION /etc/logrotate.d
        RENAME latchkey COMPONENT latchkey)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/operations.md
              ${PROJECT_SOURCE_DIR}/docs/deployment.md ${PROJECT_SOURCE_DIR}/docs/security.md
              ${PROJECT_SOURCE_DIR}/deploy/nginx/forward-auth.conf
        DESTINATION share/doc/latchkey COMPONENT latchkey)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME latchkey)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "latchkey")
set(CPACK_PACKAGE_CONTACT "latchkey maintainers <maintainers@latchkey.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Self-hosted token service: Entra ID client credentials and the Databricks token API")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: from the binaries' shared libraries
set(CPACK_DEBIAN_PACKAGE_DEPENDS "passwd, util-linux")  # useradd, runuser (postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
