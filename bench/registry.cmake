# bench/registry: warm in-library resolve+render (bench_registry); bench/registry.sh builds a
# registry of 1,000 prompts and 10,000 commits and compares `rosetta render NAME@production`
# with `git show COMMIT:prompts/NAME.prompt` as whole processes.
add_executable(bench_registry ${CMAKE_CURRENT_SOURCE_DIR}/registry.c)
target_include_directories(bench_registry PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
target_link_libraries(bench_registry PRIVATE rosetta_static)
