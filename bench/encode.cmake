# bench_encode: each dialect's encoding of a rendered prompt, in microseconds, beside the render of
# the same prompt. Run: cmake --build B --target bench-encode (use a build without sanitizers).
if(TARGET rs_render)
  add_executable(bench_encode ${CMAKE_CURRENT_SOURCE_DIR}/encode.c)
  target_include_directories(bench_encode PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
  target_compile_definitions(bench_encode PRIVATE
                             RS_PROMPTS_DIR="${PROJECT_SOURCE_DIR}/tests/providers/prompts")
  # the modules it measures, not the whole library (the runner may be mid-change)
  target_link_libraries(bench_encode PRIVATE rs_providers rs_render rs_templates rs_registry rs_util m)
  add_custom_target(bench-encode COMMAND bench_encode DEPENDS bench_encode USES_TERMINAL)
endif()
