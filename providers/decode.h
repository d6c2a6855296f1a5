/*
 * providers/decode.h - the decoding half of each dialect (responses, stream events, errors).
 * Implemented in providers/<dialect>_decode.c; the dialect tables in providers/dialects.c point here.
 * Signatures are those of the rs_dialect slots in providers/provider.h.
 */
#ifndef RS_PROVIDERS_DECODE_H
#define RS_PROVIDERS_DECODE_H

#include "providers/provider.h"

#define RS_DECLARE_DECODER(prefix)                                                                 \
    int prefix##_decode(rs_result *res, rs_provider_error *pe, const char *body, size_t len,       \
                        rs_error *err);                                                            \
    int prefix##_stream_event(rs_stream *st, rs_result *res, rs_provider_error *pe,                \
                              const char *event, const char *data, size_t len, rs_error *err);     \
    void prefix##_stream_free(rs_stream *st);                                                      \
    void prefix##_classify_error(rs_provider_error *pe, int http_status, const char *body,         \
                                 size_t len, long retry_after_ms);

/* OpenAI Chat Completions and the OpenAI-compatible services */
RS_DECLARE_DECODER(rs_openai)

/* OpenAI Responses */
RS_DECLARE_DECODER(rs_openai_responses)

/* Anthropic Messages */
RS_DECLARE_DECODER(rs_anthropic)

/* Gemini generateContent */
RS_DECLARE_DECODER(rs_gemini)

/* Ollama /api/chat (NDJSON streams) */
RS_DECLARE_DECODER(rs_ollama)

/* the offline mock provider */
RS_DECLARE_DECODER(rs_mock)

#endif
