# The fuzz targets and the libraries each one needs, shared by fuzz/CMakeLists.txt (libFuzzer
# binaries, clang) and tests/fuzz/CMakeLists.txt (corpus replay under ctest, any compiler).
# Target NAME has its source in fuzz/NAME_fuzz.cc and its seed corpus in fuzz/corpus/NAME/.
set(LATCHKEY_FUZZ_TARGETS
    form_body http_request jwt basic_auth scim_filter json_body toml_config ini_profile
    app_request)

set(LATCHKEY_FUZZ_DEPS_form_body latchkey::base)
set(LATCHKEY_FUZZ_DEPS_http_request latchkey::http)
set(LATCHKEY_FUZZ_DEPS_jwt latchkey::jose)
set(LATCHKEY_FUZZ_DEPS_basic_auth latchkey::idp)
set(LATCHKEY_FUZZ_DEPS_scim_filter latchkey::workspace)
set(LATCHKEY_FUZZ_DEPS_json_body latchkey::workspace)
set(LATCHKEY_FUZZ_DEPS_toml_config latchkey::app)
set(LATCHKEY_FUZZ_DEPS_ini_profile latchkey::cli_lib)
# The whole server: the real composition over a data dir made as `latchkeyd init` makes it.
set(LATCHKEY_FUZZ_DEPS_app_request latchkey::app)
set(LATCHKEY_FUZZ_SOURCES_app_request ${CMAKE_CURRENT_LIST_DIR}/../tests/app/app_world.cc)

# latchkey_fuzz_sources(NAME TARGET): common settings of one fuzz source compiled into TARGET.
function(latchkey_fuzz_setup name target)
  target_compile_options(${target} PRIVATE ${LATCHKEY_WARNINGS})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/fuzz)
  target_compile_definitions(${target} PRIVATE
    LATCHKEY_TESTDATA_DIR="${PROJECT_SOURCE_DIR}/tests/testdata")
  target_link_libraries(${target} PRIVATE ${LATCHKEY_FUZZ_DEPS_${name}})
  if(LATCHKEY_FUZZ_SOURCES_${name})
    target_sources(${target} PRIVATE ${LATCHKEY_FUZZ_SOURCES_${name}})
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/app ${PROJECT_SOURCE_DIR}/tests)
  endif()
endfunction()
