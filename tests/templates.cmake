# The Handlebars engine: unit tests and the Mustache spec conformance runner.
rs_test(test_hbs SOURCES unit/test_hbs.c MODULES rs_util rs_templates LIBS Threads::Threads CMOCKA)
rs_test(mustache_conformance SOURCES conformance/mustache_runner.c MODULES rs_util rs_templates
        LABELS conformance)
