# Compare: statistics, datasets, scorers (unit), and the compare command end to end.
# The unit tests compile the runner files they test directly, so they build while the rest of the
# runner is being written.
set(RS_RUNNER_DIR ${PROJECT_SOURCE_DIR}/runner)
rs_test(test_stats SOURCES unit/test_stats.c ${RS_RUNNER_DIR}/stats.c MODULES rs_util CMOCKA
        LABELS compare)
rs_test(test_dataset SOURCES unit/test_dataset.c ${RS_RUNNER_DIR}/dataset.c MODULES rs_util CMOCKA
        LABELS compare)
rs_test(test_scorers SOURCES unit/test_scorers.c ${RS_RUNNER_DIR}/scorers.c MODULES rs_util rs_templates CMOCKA
        LABELS compare)
rs_test(test_compare SOURCES unit/test_compare.c ${RS_RUNNER_DIR}/compare.c ${RS_RUNNER_DIR}/stats.c
        ${RS_RUNNER_DIR}/report_table.c ${RS_RUNNER_DIR}/report_html.c
        ${RS_RUNNER_DIR}/report_fields.c ${RS_RUNNER_DIR}/split.c
        ${RS_RUNNER_DIR}/scorers.c ${RS_RUNNER_DIR}/dataset.c MODULES rs_util rs_templates CMOCKA
        LABELS compare)

# End to end through the mock provider and the fake provider server (shell; jq and sqlite3).
add_test(NAME compare_e2e COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/compare_e2e.sh
         $<TARGET_FILE:rosetta> $<TARGET_FILE:fake_provider> ${PROJECT_SOURCE_DIR})
set_tests_properties(compare_e2e PROPERTIES TIMEOUT 180 LABELS compare)
# The HTML report rendered by headless Chromium (installed by the script when missing).
add_test(NAME compare_html COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/compare_html.sh
         $<TARGET_FILE:rosetta> ${PROJECT_SOURCE_DIR})
set_tests_properties(compare_html PROPERTIES TIMEOUT 600 LABELS compare SKIP_RETURN_CODE 77)
