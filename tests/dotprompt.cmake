# Dotprompt layer (issue 2): the spec suite run as the reference's runner runs it, and unit
# tests for frontmatter, YAML typing, Picoschema, JSON Schema validation and message splitting.
rs_test(dotprompt_conformance SOURCES conformance/dotprompt_runner.c
        MODULES rs_util rs_templates rs_render LIBS PkgConfig::YAML PkgConfig::CJSON
        LABELS conformance dotprompt)
rs_test(test_dotprompt SOURCES unit/test_dotprompt.c
        MODULES rs_util rs_templates rs_render LIBS PkgConfig::YAML PkgConfig::CJSON Threads::Threads
        CMOCKA
        LABELS dotprompt)
