/*
 * providers/neutral.h - the one mechanism every dialect encoder shares.
 *
 * rs_neutral_build walks a RenderedPrompt (render/prompt.h) once into a neutral form: messages
 * with a neutral role and a run of parts (text, media, tool call, tool result), tool definitions,
 * validated config values and the structured-output request. Every encoder then only decides the
 * wire shape. Strings and subtrees are borrowed from the RenderedPrompt, which must outlive the
 * rs_neutral (encoders build cJSON string *references* into it, so no text is copied twice).
 *
 * The rs_jb helpers below build a cJSON tree with a sticky out-of-memory flag: every helper is a
 * no-op once an allocation failed or when its parent is NULL, so an encoder checks once, at the
 * end.
 */
#ifndef RS_PROVIDERS_NEUTRAL_H
#define RS_PROVIDERS_NEUTRAL_H

#include "providers/provider.h"
#include "util/arena.h"
#include "util/json.h"

#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum { RS_NROLE_SYSTEM, RS_NROLE_USER, RS_NROLE_ASSISTANT, RS_NROLE_TOOL } rs_nrole;

typedef enum {
    RS_NPART_TEXT,
    RS_NPART_MEDIA,
    RS_NPART_TOOL_CALL,
    RS_NPART_TOOL_RESULT
} rs_npart_kind;

#define RS_NID_MAX 128

typedef struct rs_npart {
    rs_npart_kind kind;
    const char *text; /* TEXT (never empty) */
    /* MEDIA */
    const char *url; /* as given: https://.. or data:..;base64,.. */
    char mime[128];  /* contentType, the data: URL's type, or guessed from the extension; "" */
    const char *b64; /* data: URLs: the base64 payload inside url; NULL for other URLs */
    /* TOOL_CALL / TOOL_RESULT */
    const char *name;    /* tool name */
    char id[RS_NID_MAX]; /* the call id: the part's ref, or synthesized ("call_1", ...) */
    const cJSON *value;  /* call: input; result: output; NULL when absent */
} rs_npart;

typedef struct rs_nmsg {
    rs_nrole role;
    size_t first; /* parts[first .. first+count) */
    size_t count;
    int index; /* position in the RenderedPrompt's messages, 1-based, for errors */
} rs_nmsg;

typedef struct rs_ntool {
    const char *name;
    const char *description; /* may be NULL */
    const cJSON *schema;     /* inputSchema; NULL when the definition has none */
} rs_ntool;

enum {
    RS_NCFG_TEMPERATURE = 1 << 0,
    RS_NCFG_TOP_P = 1 << 1,
    RS_NCFG_TOP_K = 1 << 2,
    RS_NCFG_MAX_TOKENS = 1 << 3,
    RS_NCFG_SEED = 1 << 4,
    RS_NCFG_STOP = 1 << 5,
    RS_NCFG_PRESENCE = 1 << 6,
    RS_NCFG_FREQUENCY = 1 << 7,
    RS_NCFG_TOOL_CHOICE = 1 << 8
};

typedef enum { RS_TC_AUTO, RS_TC_NONE, RS_TC_REQUIRED, RS_TC_NAMED } rs_tool_choice;

typedef struct rs_nconfig {
    unsigned has; /* RS_NCFG_* bits of the keys the prompt set */
    double temperature;
    double top_p;
    double presence_penalty;
    double frequency_penalty;
    long top_k;
    long max_tokens;
    double seed;       /* an integer, kept as double to print it exactly */
    const cJSON *stop; /* array of strings (a single string became a one-element array) */
    size_t nstop;
    rs_tool_choice tool_choice;
    const char *tool_choice_name; /* RS_TC_NAMED */
    cJSON *stop_owned;            /* the array made for a single-string stopSequences */
} rs_nconfig;

typedef struct rs_neutral {
    const rs_service *svc;
    const char *model;
    const char *prompt_name; /* the RenderedPrompt's name, may be NULL */
    rs_vec msgs;             /* of rs_nmsg, in order, empty messages dropped */
    rs_vec parts;            /* of rs_npart */
    rs_vec tools;            /* of rs_ntool */
    rs_nconfig cfg;
    int json_output;          /* output.format json (or a schema without a format) */
    const cJSON *schema;      /* output.schema, may be NULL */
    const cJSON *passthrough; /* config.<service name>: merged over the body, may be NULL */
} rs_neutral;

/* Walk rendered into n (zeroed first). RS_EINVAL for a malformed RenderedPrompt or config value,
 * RS_EUNSUPPORTED for what no dialect can send, RS_ENOMEM. On failure n is freed. */
int rs_neutral_build(rs_neutral *n, const rs_service *svc, const char *model, const cJSON *rendered,
                     rs_error *err);
void rs_neutral_free(rs_neutral *n);

static inline const rs_nmsg *rs_neutral_msg(const rs_neutral *n, size_t i)
{
    return &((const rs_nmsg *)n->msgs.items)[i];
}
static inline const rs_npart *rs_neutral_part(const rs_neutral *n, size_t i)
{
    return &((const rs_npart *)n->parts.items)[i];
}
static inline const rs_ntool *rs_neutral_tool(const rs_neutral *n, size_t i)
{
    return &((const rs_ntool *)n->tools.items)[i];
}

/* The name of a role as errors print it ("system", "user", "model", "tool"). */
const char *rs_nrole_name(rs_nrole r);

/* Dialect limits: RS_EUNSUPPORTED naming the key, the value and the accepted range. */
int rs_neutral_check_range(const rs_neutral *n, const char *key, double v, double lo, double hi,
                           rs_error *err);
/* RS_EUNSUPPORTED: "config.KEY is not supported by SERVICE (WHY)". */
int rs_neutral_unsupported(const rs_neutral *n, const char *key, const char *why, rs_error *err);

/* True for media whose type is an image (by mime). */
int rs_npart_is_image(const rs_npart *p);

/* The tool result as text: a string output as is, anything else printed as JSON ("" if absent).
 * *owned receives what the caller frees with cJSON_free (NULL when the string was borrowed). */
const char *rs_npart_result_text(const rs_npart *p, char **owned);

/* Append the header "NAME: PREFIXVALUE" (rs_malloc'd char *) to headers. RS_EINVAL when the value
 * holds a CR or LF; the message never quotes the value (it may be a key). */
int rs_header_add(rs_vec *headers, const char *name, const char *prefix, const char *value,
                  rs_error *err);

/* ---------- cJSON building with a sticky failure flag ---------- */

/* A tree under construction: nodes in an arena, a sticky out-of-memory flag. */
typedef struct rs_jb {
    int oom;
    rs_arena arena;
} rs_jb;

void rs_jb_init(rs_jb *b);
/* Free every node of the tree at once. */
void rs_jb_free(rs_jb *b);
/* The root object. */
cJSON *rs_jb_root(rs_jb *b);

/* Add to parent (an object: under key; an array: key is ignored). key must be a string literal
 * (or otherwise outlive the tree): keys are not copied. Return the new item or NULL. */
cJSON *rs_jb_obj(rs_jb *b, cJSON *parent, const char *key);
cJSON *rs_jb_arr(rs_jb *b, cJSON *parent, const char *key);
void rs_jb_str(rs_jb *b, cJSON *parent, const char *key, const char *s); /* copied */
void rs_jb_strn(rs_jb *b, cJSON *parent, const char *key, const char *s, size_t n);
void rs_jb_ref(rs_jb *b, cJSON *parent, const char *key, const char *s); /* borrowed text */
void rs_jb_num(rs_jb *b, cJSON *parent, const char *key, double v);
void rs_jb_bool(rs_jb *b, cJSON *parent, const char *key, int v);
void rs_jb_null(rs_jb *b, cJSON *parent, const char *key);
void rs_jb_tree(rs_jb *b, cJSON *parent, const char *key, const cJSON *v); /* borrowed subtree */
void rs_jb_copy(rs_jb *b, cJSON *parent, const char *key, const cJSON *v); /* deep copy */

/*
 * Finish an encoder: merge n->passthrough over root (objects merged key by key, recursively;
 * anything else replaces; borrowed parts are copied, never changed) and print root compactly
 * into body (reusing its buffer). RS_ENOMEM when b saw a failure. The tree stays b's.
 */
int rs_jb_finish(rs_str *body, cJSON *root, rs_jb *b, const rs_neutral *n, rs_error *err);

/* A dialect's part of encoding: fill root (the body's top object) from the neutral form. */
typedef int (*rs_body_fn)(rs_jb *b, cJSON *root, const rs_neutral *n, const rs_service *svc,
                          const char *model, const rs_encode_opts *o, rs_error *err);

/*
 * The mechanism every encoder shares (the dialect keeps only its body function): walk rendered
 * into the neutral form, let `build` fill the body, merge config.<service> over it and print it
 * into body. Errors as rs_neutral_build, `build` and rs_jb_finish report them.
 */
int rs_neutral_encode(rs_str *body, const rs_service *svc, const char *model,
                      const cJSON *rendered, const rs_encode_opts *o, rs_body_fn build,
                      rs_error *err);

#endif
