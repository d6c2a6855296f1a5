# registry: unit tests on real repositories in temp dirs (cross-checked with git), the CLI
# tests for every registry command, and the concurrency test (8 processes x 50 moves + saves).
rs_test(test_registry SOURCES unit/test_registry.c
  MODULES rs_util rs_templates rs_render rs_registry CMOCKA LABELS registry)
set_tests_properties(test_registry PROPERTIES TIMEOUT 300)
