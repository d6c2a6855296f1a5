# Proof of conformance beyond the spec suites (issue 2): the differential test against the
# Dotprompt reference's recorded outputs, and the malformed-template error cases. Both drive the
# real `rosetta` command, so they check stdout, stderr and the exit code as users see them.
# The runners are python3 (standard library only; scripts/install-deps.sh installs it).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
add_test(NAME differential
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/differential/run.py
                 $<TARGET_FILE:rosetta> ${CMAKE_CURRENT_SOURCE_DIR}/differential/cases)
add_test(NAME differential_default
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/differential/run.py
                 $<TARGET_FILE:rosetta> ${CMAKE_CURRENT_SOURCE_DIR}/differential/cases-default)
add_test(NAME template_errors
         COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/errors/run.py
                 $<TARGET_FILE:rosetta> ${CMAKE_CURRENT_SOURCE_DIR}/errors/cases)
set_tests_properties(differential differential_default template_errors PROPERTIES
                     LABELS "proof" TIMEOUT 600)

# The fuzz target's seed corpus, replayed once under this build's sanitizers (the libFuzzer build
# itself needs clang: scripts/fuzz.sh). Declared once the render module exists.
if(NOT RS_FUZZ AND TARGET rs_render)
  add_executable(fuzz_template_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_template.c)
  target_compile_definitions(fuzz_template_replay PRIVATE RS_FUZZ_REPLAY)
  target_include_directories(fuzz_template_replay PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(fuzz_template_replay PRIVATE rosetta_static)
  add_test(NAME fuzz_template_corpus
           COMMAND fuzz_template_replay ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/template)
  set_tests_properties(fuzz_template_corpus PROPERTIES LABELS "proof")
endif()
