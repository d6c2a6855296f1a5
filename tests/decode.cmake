# The decoding half, pricing and the run log (helper "decode").
# The tests compile the files they exercise directly (plus rs_util), so they build and run even
# while other modules are mid-edit.
set(RS_DECODE_SRCS
  ${PROJECT_SOURCE_DIR}/providers/result.c ${PROJECT_SOURCE_DIR}/providers/sse.c
  ${PROJECT_SOURCE_DIR}/providers/retry_hint.c ${PROJECT_SOURCE_DIR}/providers/openai_decode.c
  ${PROJECT_SOURCE_DIR}/providers/openai_responses_decode.c
  ${PROJECT_SOURCE_DIR}/providers/anthropic_decode.c ${PROJECT_SOURCE_DIR}/providers/gemini_decode.c
  ${PROJECT_SOURCE_DIR}/providers/ollama_decode.c ${PROJECT_SOURCE_DIR}/providers/mock_decode.c)
rs_test(test_decode SOURCES unit/test_decode.c ${RS_DECODE_SRCS} MODULES rs_util CMOCKA
        LABELS decode)

# The pricing table embedded the same way the library does it (a copy generated here, so this
# test does not depend on the runner directory's targets).
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/test_prices_embed.c
  COMMAND ${CMAKE_COMMAND} -DIN=${PROJECT_SOURCE_DIR}/data/model_prices.json
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/test_prices_embed.c -P ${PROJECT_SOURCE_DIR}/runner/prices_embed.cmake
  DEPENDS ${PROJECT_SOURCE_DIR}/data/model_prices.json ${PROJECT_SOURCE_DIR}/runner/prices_embed.cmake
  VERBATIM)
rs_test(test_pricing SOURCES unit/test_pricing.c ${PROJECT_SOURCE_DIR}/runner/pricing.c
        ${CMAKE_CURRENT_BINARY_DIR}/test_prices_embed.c MODULES rs_util CMOCKA LABELS decode)

set(RS_RUNLOG_SRCS ${PROJECT_SOURCE_DIR}/runner/runlog.c ${PROJECT_SOURCE_DIR}/runner/stats.c)
rs_test(test_runlog SOURCES unit/test_runlog.c ${RS_RUNLOG_SRCS} MODULES rs_util
        LIBS PkgConfig::SQLITE CMOCKA LABELS decode)
# 8 processes x 200 runs into one database at once: 1,600 rows, no "database is locked".
rs_test(test_runlog_concurrency SOURCES unit/test_runlog_concurrency.c ${RS_RUNLOG_SRCS}
        MODULES rs_util LIBS PkgConfig::SQLITE ARGS 8 200 LABELS decode)

# rosetta runs / stats over a real log written by `rosetta run` with the offline mock.
add_test(NAME runs_stats COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/cli/runs_stats.sh $<TARGET_FILE:rosetta>)
set_tests_properties(runs_stats PROPERTIES TIMEOUT 120 LABELS decode)
