# Helpers that keep each module self-contained: a module is an OBJECT library declared in its own
# directory; tests link only the modules they exercise, so a module being rewritten does not stop
# the others' tests from building. librosetta (static and shared) is made of all modules' objects.

set_property(GLOBAL PROPERTY RS_MODULES "")

# rs_module(NAME SOURCES a.c b.c DEPS PkgConfig::X ...)
function(rs_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} OBJECT ${M_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PUBLIC ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY RS_MODULES ${name})
endfunction()

# librosetta.a / librosetta.so from every module's objects.
function(rs_library)
  get_property(mods GLOBAL PROPERTY RS_MODULES)
  set(objs "")
  set(deps "")
  foreach(m ${mods})
    list(APPEND objs $<TARGET_OBJECTS:${m}>)
  endforeach()
  add_library(rosetta_static STATIC ${objs})
  add_library(rosetta_shared SHARED ${objs})
  foreach(t rosetta_static rosetta_shared)
    set_target_properties(${t} PROPERTIES OUTPUT_NAME rosetta)
    target_include_directories(${t} PUBLIC ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${t} PUBLIC PkgConfig::YAML PkgConfig::CJSON PkgConfig::GIT2 PkgConfig::ZLIB
                          PkgConfig::CURL PkgConfig::SQLITE Threads::Threads m)
  endforeach()
  set_target_properties(rosetta_shared PROPERTIES VERSION ${PROJECT_VERSION}
                        SOVERSION ${PROJECT_VERSION_MAJOR})
  install(TARGETS rosetta_static rosetta_shared
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endfunction()

# rs_test(NAME SOURCES t.c MODULES rs_util rs_templates [LIBS x] [ARGS a b] [CMOCKA])
# Builds one test binary from the given modules' objects and registers it with ctest.
function(rs_test name)
  cmake_parse_arguments(T "CMOCKA" "" "SOURCES;MODULES;LIBS;ARGS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/include
                             ${PROJECT_SOURCE_DIR}/tests)
  # Linking an OBJECT library adds its objects and its usage requirements (CMake >= 3.12).
  target_link_libraries(${name} PRIVATE ${T_MODULES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} m)
  if(T_CMOCKA)
    target_link_libraries(${name} PRIVATE PkgConfig::CMOCKA)
  endif()
  add_test(NAME ${name} COMMAND ${name} ${T_ARGS})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT
      "RS_SOURCE_DIR=${PROJECT_SOURCE_DIR};RS_SHARED_DIR=${RS_SHARED_DIR};RS_BINARY_DIR=${PROJECT_BINARY_DIR}")
  if(T_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${T_LABELS}")
  endif()
endfunction()
