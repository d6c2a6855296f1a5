# registry: unit tests on real repositories in temp dirs (cross-checked with git), the CLI
# tests for every registry command, and the concurrency test (8 processes x 50 moves + saves).
rs_test(test_registry SOURCES unit/test_registry.c
  MODULES rs_util rs_templates rs_render rs_registry CMOCKA LABELS registry)
set_tests_properties(test_registry PROPERTIES TIMEOUT 300)
add_test(NAME registry_cli
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/registry.sh $<TARGET_FILE:rosetta>)
set_tests_properties(registry_cli PROPERTIES LABELS registry TIMEOUT 300)
add_test(NAME registry_concurrency
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/registry_concurrency.sh $<TARGET_FILE:rosetta> 8 50)
set_tests_properties(registry_concurrency PROPERTIES LABELS registry TIMEOUT 900)
# The example links through pkg-config against an installed copy of this build (sanitizer flags
# passed along when the library was built with them).
if(RS_SANITIZE)
  set(RS_EXAMPLE_CFLAGS "-fsanitize=address,undefined")
else()
  set(RS_EXAMPLE_CFLAGS "")
endif()
add_test(NAME registry_example
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/registry_example.sh ${PROJECT_SOURCE_DIR}
          ${PROJECT_BINARY_DIR} $<TARGET_FILE:rosetta> "${RS_EXAMPLE_CFLAGS}")
set_tests_properties(registry_example PROPERTIES LABELS registry TIMEOUT 300)
# the native git reader against git and libgit2 on real repositories, and its fallback cases
rs_test(test_gitread SOURCES unit/test_gitread.c
  MODULES rs_util rs_templates rs_render rs_registry CMOCKA LABELS registry)
set_tests_properties(test_gitread PROPERTIES TIMEOUT 300)
