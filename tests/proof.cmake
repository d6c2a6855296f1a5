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
