/*
 * providers/openai_common.h - what Chat Completions (openai.c) and Responses (openai_responses.c)
 * share: the reasoning-model rule, media checks, tool definitions and structured-output naming.
 */
#ifndef RS_PROVIDERS_OPENAI_COMMON_H
#define RS_PROVIDERS_OPENAI_COMMON_H

#include "providers/neutral.h"

/* o1/o3/o4/gpt-5 families: developer role, no sampling settings, no stop sequences. */
int rs_openai_is_reasoning_model(const char *model);
/* Why a reasoning model refuses a sampling setting, in the error that names the setting. */
#define RS_OPENAI_REASONING_WHY "OpenAI reasoning models (o1, o3, o4, gpt-5) accept only the default"
/* temperature (range-checked) and top_p, named alike by both APIs and refused by reasoning models. */
int rs_openai_temperature_top_p(rs_jb *b, cJSON *root, const rs_neutral *n, int reasoning,
                                rs_error *err);
/* RS_EUNSUPPORTED when media part p of message m cannot be sent to n's service. */
int rs_openai_media_check(const rs_neutral *n, const rs_nmsg *m, const rs_npart *p, rs_error *err);
/* name, description, parameters of one tool into fn. */
void rs_openai_tool_def(rs_jb *b, cJSON *fn, const rs_ntool *t);
/* RS_EUNSUPPORTED when output.schema's root is not an object (what = service for the message). */
int rs_openai_schema_is_object(const rs_neutral *n, const char *what, rs_error *err);
/* The json_schema name: the prompt's name when valid ([a-zA-Z0-9_-]{1,64}), else "output". */
void rs_openai_schema_name(char out[65], const rs_neutral *n);
/* True when some text part mentions "json" (any case), as JSON mode requires. */
int rs_openai_mentions_json(const rs_neutral *n);

#endif
