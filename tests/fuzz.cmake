# libFuzzer targets: tests/fuzz/fuzz_<name>.c, each linked against the whole library. Built only
# in a clang build with -DRS_FUZZ=ON (scripts/fuzz.sh makes one and runs each with its corpus).
if(RS_FUZZ)
  file(GLOB RS_FUZZERS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_*.c)
  foreach(src ${RS_FUZZERS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${name} PRIVATE rosetta_static)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  endforeach()
endif()
