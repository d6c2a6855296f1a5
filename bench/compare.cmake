# bench_compare: the compare engine in-process (CPU and memory per call); bench/compare.sh runs it
# and times `rosetta compare` against promptfoo on the same fake server.
# Run: cmake --build B --target bench-compare
add_executable(bench_compare compare.c)
target_include_directories(bench_compare PRIVATE ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(bench_compare PRIVATE rosetta_static)
add_custom_target(bench-compare COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/compare.sh
  DEPENDS bench_compare USES_TERMINAL)
