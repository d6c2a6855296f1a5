# The compiled-prompt cache (render/prompt_cache.c): hits, misses, partial revalidation, LRU,
# 8 threads, allocation failures.
rs_test(test_prompt_cache SOURCES unit/test_prompt_cache.c
        MODULES rs_util rs_templates rs_render LIBS PkgConfig::YAML PkgConfig::CJSON Threads::Threads
        CMOCKA
        LABELS dotprompt)
