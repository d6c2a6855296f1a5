# bench_runner: provider calls per second through the transport and the whole runner, against
# the fake provider (tests/fakes/fake_provider.c). Run: cmake --build B --target bench-runner
if(NOT TARGET fake_provider)
  add_executable(fake_provider ${PROJECT_SOURCE_DIR}/tests/fakes/fake_provider.c)
endif()
add_executable(bench_runner runner.c)
target_include_directories(bench_runner PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(bench_runner PRIVATE rosetta_static)
add_custom_target(bench-runner
  COMMAND bench_runner $<TARGET_FILE:fake_provider> --calls 2000 --concurrency 64 --latency 0,50
  DEPENDS bench_runner fake_provider USES_TERMINAL)
