# bench/render: the Dotprompt pipeline's renders/s against the reference (bench/run-render.sh runs
# both sides and prints the ratios). Links the static library to use render/prompt.h directly.
# Declared only once the render module exists, so the tree builds while it is being written.
if(TARGET rs_render)
  add_executable(bench_render ${CMAKE_CURRENT_SOURCE_DIR}/render.c)
  target_include_directories(bench_render PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
  target_compile_definitions(bench_render PRIVATE RS_BENCH_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(bench_render PRIVATE rosetta_static)
endif()
