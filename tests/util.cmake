rs_test(test_util SOURCES unit/test_util.c MODULES rs_util CMOCKA)
