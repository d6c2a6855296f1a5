/*
 * providers/dialects.c - the built-in dialect tables (encode.h + decode.h functions) and lookup.
 * Adding a dialect is one encoder file, one decoder file and one table here.
 */
#include "providers/decode.h"
#include "providers/encode.h"

#include <string.h>

#define RS_DIALECT(var, label, prefix, ndjson)                                                     \
    static const rs_dialect var = {label,                                                          \
                                   ndjson,                                                         \
                                   prefix##_encode,                                                \
                                   prefix##_endpoint,                                              \
                                   prefix##_headers,                                               \
                                   prefix##_decode,                                                \
                                   prefix##_stream_event,                                          \
                                   prefix##_stream_free,                                           \
                                   prefix##_classify_error};

RS_DIALECT(openai, "openai", rs_openai, 0)
RS_DIALECT(openai_responses, "openai-responses", rs_openai_responses, 0)
RS_DIALECT(anthropic, "anthropic", rs_anthropic, 0)
RS_DIALECT(gemini, "gemini", rs_gemini, 0)
RS_DIALECT(ollama, "ollama", rs_ollama, 1)
RS_DIALECT(mock, "mock", rs_mock, 0)

const rs_dialect *const rs_dialects[] = {
    &openai, &openai_responses, &anthropic, &gemini, &ollama, &mock, NULL};

const rs_dialect *rs_dialect_find(const char *name)
{
    for (size_t i = 0; name && rs_dialects[i]; i++)
        if (strcmp(rs_dialects[i]->name, name) == 0)
            return rs_dialects[i];
    return NULL;
}
