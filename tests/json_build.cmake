# util/json_build (cJSON trees on the heap or in an arena) and util/lazy (computed once, on first use)
rs_test(test_json_build SOURCES unit/test_json_build.c MODULES rs_util LIBS Threads::Threads CMOCKA)
