# bench_decode: microseconds to decode each recorded answer (streams in 64-byte chunks) and to
# log a run. Run: cmake --build B --target bench-decode (use a build without sanitizers).
add_executable(bench_decode ${CMAKE_CURRENT_SOURCE_DIR}/decode.c)
target_include_directories(bench_decode PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(bench_decode PRIVATE
                           RS_TRANSCRIPTS_DIR="${PROJECT_SOURCE_DIR}/tests/transcripts")
target_link_libraries(bench_decode PRIVATE rosetta_static)
add_custom_target(bench-decode COMMAND bench_decode DEPENDS bench_decode USES_TERMINAL)
