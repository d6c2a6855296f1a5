# Provider dialects, encoding half: golden request bodies, unit tests, spec validation.
set(RS_PROV_DIR ${CMAKE_CURRENT_SOURCE_DIR}/providers)

# Every RenderedPrompt in tests/providers/rendered x every built-in service, against the checked-in
# bodies and expected errors in tests/providers/golden (scripts/regen-golden.sh rewrites them).
rs_test(providers_golden SOURCES providers/golden.c MODULES rs_providers rs_util
        ARGS ${RS_PROV_DIR}/rendered ${RS_PROV_DIR}/golden LABELS providers)

# Every golden body of the OpenAI(-compatible), Responses, Anthropic, Mistral and Ollama dialects
# POSTed to Prism mocks serving the providers' own API descriptions (installs Prism from npm once).
find_program(RS_NPM npm)
find_program(RS_CURL_BIN curl)
if(RS_NPM AND RS_CURL_BIN)
  add_test(NAME prism_validation
           COMMAND ${RS_PROV_DIR}/prism_validation.sh ${RS_PROV_DIR}/golden ${RS_PROV_DIR}/invalid
                   ${RS_SHARED_DIR})
  set_tests_properties(prism_validation PROPERTIES TIMEOUT 600 LABELS "providers;prism"
                       RUN_SERIAL TRUE)
endif()

# Every key of every golden Gemini body is a field of its v1beta proto message.
rs_test(gemini_fields SOURCES providers/gemini_fields.c MODULES rs_util
        ARGS ${RS_SHARED_DIR}/specs/gemini-protos-v1beta/protos.json ${RS_PROV_DIR}/golden
        LABELS providers)

# One case per conversion rule and per error, services and keys, allocation failures.
rs_test(test_encode SOURCES unit/test_encode.c MODULES rs_providers rs_util CMOCKA LABELS providers)

# The same golden files reached end to end: our renderer renders tests/providers/prompts/*.prompt
# (equal to the reference's rendering), the encoders encode, the bodies match.
rs_test(providers_golden_render SOURCES providers/golden.c
        MODULES rs_providers rs_render rs_templates rs_registry rs_util
        ARGS --prompts ${RS_PROV_DIR}/prompts ${RS_PROV_DIR}/rendered ${RS_PROV_DIR}/golden
        LABELS providers)
target_compile_definitions(providers_golden_render PRIVATE RS_GOLDEN_RENDER=1)

# rosetta render --target / --curl: stdout, stderr, exit codes (python3 compares JSON).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND)
  add_test(NAME cli_render_target
           COMMAND ${RS_PROV_DIR}/cli_render_target.sh $<TARGET_FILE:rosetta> ${RS_PROV_DIR})
  set_tests_properties(cli_render_target PROPERTIES LABELS providers)
endif()
