# Dotprompt layer (issue 2): the spec suite run as the reference's runner runs it, and unit
# tests for frontmatter, YAML typing, Picoschema, JSON Schema validation and message splitting.
rs_test(dotprompt_conformance SOURCES conformance/dotprompt_runner.c
        MODULES rs_util rs_templates rs_render LIBS PkgConfig::YAML PkgConfig::CJSON
        LABELS conformance dotprompt)
rs_test(test_dotprompt SOURCES unit/test_dotprompt.c
        MODULES rs_util rs_templates rs_render LIBS PkgConfig::YAML PkgConfig::CJSON Threads::Threads
        CMOCKA
        LABELS dotprompt)
# The frontmatter fuzz target's seed corpus, replayed once under this build's sanitizers.
if(NOT RS_FUZZ)
  rs_test(fuzz_frontmatter_corpus SOURCES fuzz/fuzz_frontmatter.c
          MODULES rs_util rs_templates LIBS PkgConfig::YAML PkgConfig::CJSON
          ARGS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/frontmatter LABELS dotprompt)
  target_compile_definitions(fuzz_frontmatter_corpus PRIVATE RS_FUZZ_REPLAY)
endif()
