# The runner (issue 5): the fake provider, transport, retries and routes, runs end to end.
add_executable(fake_provider fakes/fake_provider.c)

rs_test(test_retry
  SOURCES unit/test_retry.c ${PROJECT_SOURCE_DIR}/runner/retry.c ${PROJECT_SOURCE_DIR}/runner/route.c
  MODULES rs_util rs_providers CMOCKA LABELS runner)

rs_test(test_transport SOURCES unit/test_transport.c MODULES rs_util rs_providers CMOCKA
  ARGS $<TARGET_FILE:fake_provider> LABELS runner)
set_tests_properties(test_transport PROPERTIES TIMEOUT 120)

rs_test(test_run SOURCES unit/test_run.c LIBS rosetta_static Threads::Threads CMOCKA
  ARGS $<TARGET_FILE:fake_provider> LABELS runner)
set_tests_properties(test_run PROPERTIES TIMEOUT 120)
