# Provider dialects, encoding half: golden request bodies, unit tests, spec validation.
set(RS_PROV_DIR ${CMAKE_CURRENT_SOURCE_DIR}/providers)

# Every RenderedPrompt in tests/providers/rendered x every built-in service, against the checked-in
# bodies and expected errors in tests/providers/golden (scripts/regen-golden.sh rewrites them).
rs_test(providers_golden SOURCES providers/golden.c MODULES rs_providers rs_util
        ARGS ${RS_PROV_DIR}/rendered ${RS_PROV_DIR}/golden LABELS providers)
