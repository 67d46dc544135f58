# Helpers shared by every folder: one static library per src/ folder, one test binary per
# test folder, common warnings and sanitizer flags.

set(LATCHKEY_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-missing-field-initializers)
if(LATCHKEY_WERROR)
  list(APPEND LATCHKEY_WARNINGS -Werror)
endif()

if(LATCHKEY_SANITIZE)
  add_compile_options(-fsanitize=${LATCHKEY_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${LATCHKEY_SANITIZE})
endif()

# latchkey_add_library(NAME SOURCES ... DEPS ...) -> static library latchkey_NAME, alias
# latchkey::NAME, includes rooted at src/.
function(latchkey_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(latchkey_${name} STATIC ${ARG_SOURCES})
  add_library(latchkey::${name} ALIAS latchkey_${name})
  target_include_directories(latchkey_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(latchkey_${name} PRIVATE ${LATCHKEY_WARNINGS})
  target_link_libraries(latchkey_${name} PUBLIC ${ARG_DEPS})
endfunction()

# latchkey_add_test(NAME SOURCES ... DEPS ... [LABELS ...] [TEST_FILTER gtest-filter])
#   -> gtest binary discovered by ctest; TEST_FILTER limits which cases become ctest entries.
function(latchkey_add_test name)
  cmake_parse_arguments(ARG "" "TEST_FILTER" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${LATCHKEY_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name}
    TEST_PREFIX "${name}."
    PROPERTIES LABELS "${labels}"
               ENVIRONMENT "LATCHKEY_BIN_DIR=${PROJECT_BINARY_DIR}/src/app;LATCHKEY_CLI_DIR=${PROJECT_BINARY_DIR}/src/cli;LATCHKEY_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60
    TEST_FILTER "${ARG_TEST_FILTER}")
endfunction()
