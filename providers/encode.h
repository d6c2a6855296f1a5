/*
 * providers/encode.h - the encoding half of each dialect (request body, endpoint, headers).
 * Implemented in providers/<dialect>.c; the dialect tables in providers/dialects.c point here.
 * Signatures are those of the rs_dialect slots in providers/provider.h.
 */
#ifndef RS_PROVIDERS_ENCODE_H
#define RS_PROVIDERS_ENCODE_H

#include "providers/provider.h"

#define RS_DECLARE_ENCODER(prefix)                                                                 \
    int prefix##_encode(rs_str *body, const rs_service *svc, const char *model,                    \
                        const cJSON *rendered, const rs_encode_opts *o, rs_error *err);            \
    int prefix##_endpoint(rs_str *url, const rs_service *svc, const char *model, int stream,       \
                          rs_error *err);                                                          \
    int prefix##_headers(rs_vec *headers, const rs_service *svc, const char *key_value,            \
                         rs_error *err);

/* OpenAI Chat Completions and the OpenAI-compatible services */
RS_DECLARE_ENCODER(rs_openai)

/* OpenAI Responses */
RS_DECLARE_ENCODER(rs_openai_responses)

/* Anthropic Messages */
RS_DECLARE_ENCODER(rs_anthropic)

/* Gemini generateContent */
RS_DECLARE_ENCODER(rs_gemini)

/* Ollama /api/chat (NDJSON streams) */
RS_DECLARE_ENCODER(rs_ollama)

/* the offline mock provider */
RS_DECLARE_ENCODER(rs_mock)

#endif
