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

# The command end to end and the secrets check (shell, with sqlite3 and curl on 127.0.0.1 only).
add_test(NAME run_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_e2e.sh $<TARGET_FILE:rosetta>
         $<TARGET_FILE:fake_provider>)
add_test(NAME run_secrets COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/run_secrets.sh
         $<TARGET_FILE:rosetta> $<TARGET_FILE:fake_provider>)
set_tests_properties(run_e2e run_secrets PROPERTIES TIMEOUT 180 LABELS runner)

rs_test(test_strcut SOURCES unit/test_strcut.c MODULES rs_util CMOCKA LABELS runner)
