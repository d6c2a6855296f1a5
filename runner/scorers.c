/*
 * runner/scorers.c - parsing scorer specs and scoring answers (see scorers.h for the syntax).
 */
#include "runner/scorers.h"

#include "templates/jsonschema_validate.h"
#include "util/alloc.h"
#include "util/edit_distance.h"
#include "util/file.h"
#include "util/json.h"
#include "util/regex_guard.h"
#include "util/str.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARTS 64
#define EDIT_MAX_LEN 20000 /* O(n*m) time: longer texts are an error, not a hang */

struct rs_scorer {
    rs_scorer_kind kind;
    char *spec;
    int icase; /* contains: ignore ASCII case */
    int any;   /* contains: any instead of all */
    char *parts[MAX_PARTS];
    size_t n_parts;  /* contains/equals literal arguments; 0 = use expected */
    int has_literal; /* equals with a literal */
    regex_t re;
    int re_ok;
    int use_edit;     /* similarity: edit distance instead of F1 */
    double threshold; /* similarity, judge; bound for max-cost / max-latency */
    cJSON *schema;    /* json-schema */
    char *rubric, *target;
};

void rs_scorer_free(rs_scorer *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_parts; i++)
        rs_free(s->parts[i]);
    if (s->re_ok)
        regfree(&s->re);
    cJSON_Delete(s->schema);
    rs_free(s->rubric);
    rs_free(s->target);
    rs_free(s->spec);
    rs_free(s);
}

const char *rs_scorer_spec(const rs_scorer *s)
{
    return s->spec;
}

rs_scorer_kind rs_scorer_kind_of(const rs_scorer *s)
{
    return s->kind;
}

int rs_scorer_is_binary(const rs_scorer *s)
{
    return s->kind != RS_SCORER_SIMILARITY && s->kind != RS_SCORER_JUDGE &&
           s->kind != RS_SCORER_MAX_COST && s->kind != RS_SCORER_MAX_LATENCY;
}

const char *rs_scorer_judge_rubric(const rs_scorer *s)
{
    return s->kind == RS_SCORER_JUDGE ? s->rubric : NULL;
}

const char *rs_scorer_judge_target(const rs_scorer *s)
{
    return s->kind == RS_SCORER_JUDGE ? s->target : NULL;
}

int rs_scorer_set_default_schema(rs_scorer *s, const cJSON *schema)
{
    if (s->kind != RS_SCORER_JSON_SCHEMA || s->schema || !schema)
        return 0;
    s->schema = cJSON_Duplicate(schema, 1);
    return s->schema ? 0 : RS_ENOMEM;
}

/* Split "a|b|c" into s->parts ("\|" is a literal bar). */
static int split_parts(rs_scorer *s, const char *arg, rs_error *err)
{
    rs_str cur = RS_STR_INIT;
    int rc = 0;
    for (const char *p = arg;; p++) {
        if (*p == '\\' && p[1] == '|') {
            rs_str_putc(&cur, '|');
            p++;
            continue;
        }
        if (*p == '|' || *p == '\0') {
            if (rs_str_error(&cur)) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
                goto done;
            }
            if (cur.len == 0) {
                rc = rs_error_set(err, RS_EINVAL, "scorer '%s': empty text between '|'", s->spec);
                goto done;
            }
            if (s->n_parts == MAX_PARTS) {
                rc = rs_error_set(err, RS_ELIMIT, "scorer '%s': more than %d texts", s->spec,
                                  MAX_PARTS);
                goto done;
            }
            char *t = rs_str_detach(&cur, NULL);
            if (!t) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
                goto done;
            }
            s->parts[s->n_parts++] = t;
            if (*p == '\0')
                break;
            continue;
        }
        rs_str_putc(&cur, *p);
    }
done:
    rs_str_free(&cur);
    return rc;
}

static int parse_number(double *out, const char *text, const char *spec, const char *what,
                        rs_error *err)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v))
        return rs_error_set(err, RS_EINVAL, "scorer '%s': %s must be a number, not '%s'", spec,
                            what, text);
    *out = v;
    if (*end)
        return rs_error_set(err, RS_EINVAL, "scorer '%s': unexpected '%s' after the %s", spec, end,
                            what);
    return 0;
}

/* "NAME>=T" at the end of an argument: cut it off and parse T. */
static int take_threshold(rs_scorer *s, char *arg, double dflt, rs_error *err)
{
    s->threshold = dflt;
    char *ge = NULL;
    for (char *p = strstr(arg, ">="); p; p = strstr(p + 1, ">="))
        ge = p;
    if (!ge)
        return 0;
    *ge = '\0';
    return parse_number(&s->threshold, ge + 2, s->spec, "threshold after '>='", err);
}

/* A valid provider name: letters, digits, '-', '_', '.'. */
static int is_provider_at(const char *p)
{
    const char *q = p;
    while (*q && (isalnum((unsigned char)*q) || *q == '-' || *q == '_' || *q == '.'))
        q++;
    return q > p && *q == '/' && q[1] != '\0';
}

/* REF@PROVIDER/MODEL: the rightmost '@' followed by a provider name and '/' (refs carry @vN). */
const char *rs_ref_target_split(const char *s)
{
    const char *best = NULL;
    for (const char *p = strchr(s, '@'); p; p = strchr(p + 1, '@'))
        if (p > s && is_provider_at(p + 1))
            best = p;
    return best;
}

int rs_scorer_parse(rs_scorer **out, const char *spec, rs_error *err)
{
    int rc = 0;
    char *arg = NULL;
    *out = NULL;
    rs_scorer *s = rs_calloc(1, sizeof *s);
    if (!s || !(s->spec = rs_strdup(spec))) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
        goto done;
    }
    const char *colon = strchr(spec, ':');
    size_t nl = colon ? (size_t)(colon - spec) : strlen(spec);
    arg = colon ? rs_strdup(colon + 1) : NULL;
    if (colon && !arg) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
        goto done;
    }
#define IS(name) (nl == sizeof(name) - 1 && memcmp(spec, name, nl) == 0)
    if (IS("equals")) {
        s->kind = RS_SCORER_EQUALS;
        if (arg) {
            s->has_literal = 1;
            if (!(s->parts[0] = rs_strdup(arg))) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
                goto done;
            }
            s->n_parts = 1;
        }
    } else if (IS("contains") || IS("contains-any") || IS("contains-all") || IS("icontains") ||
               IS("icontains-any") || IS("icontains-all")) {
        s->kind = RS_SCORER_CONTAINS;
        s->icase = spec[0] == 'i';
        s->any = nl >= 4 && memcmp(spec + nl - 4, "-any", 4) == 0;
        if (arg && (rc = split_parts(s, arg, err)) != 0)
            goto done;
    } else if (IS("regex")) {
        s->kind = RS_SCORER_REGEX;
        if (!arg || !*arg) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': regex needs a pattern (regex:PATTERN)",
                              spec);
            goto done;
        }
        const char *why = NULL;
        if (rs_regex_check(arg, &why) != 0) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': regular expression refused: %s", spec,
                              why);
            goto done;
        }
        int r = regcomp(&s->re, arg, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
            char msg[256];
            regerror(r, &s->re, msg, sizeof msg);
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': bad regular expression: %s", spec, msg);
            goto done;
        }
        s->re_ok = 1;
    } else if (IS("json-valid")) {
        s->kind = RS_SCORER_JSON_VALID;
        if (arg) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': json-valid takes no argument", spec);
            goto done;
        }
    } else if (IS("json-schema")) {
        s->kind = RS_SCORER_JSON_SCHEMA;
        if (arg && (rc = rs_json_parse_file(&s->schema, arg, err)) != 0)
            goto done;
    } else if (IS("similarity")) {
        s->kind = RS_SCORER_SIMILARITY;
        if (arg) {
            if ((rc = take_threshold(s, arg, 0.8, err)) != 0)
                goto done;
            if (strcmp(arg, "edit") == 0)
                s->use_edit = 1;
            else if (strcmp(arg, "f1") != 0 && arg[0] != '\0') {
                rc = rs_error_set(err, RS_EINVAL,
                                  "scorer '%s': similarity is 'f1' or 'edit' (similarity:f1>=0.8)",
                                  spec);
                goto done;
            }
        } else {
            s->threshold = 0.8;
        }
    } else if (IS("max-cost")) {
        s->kind = RS_SCORER_MAX_COST;
        if (!arg) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': max-cost needs a bound in USD", spec);
            goto done;
        }
        if ((rc = parse_number(&s->threshold, arg[0] == '$' ? arg + 1 : arg, spec, "cost bound",
                               err)) != 0)
            goto done;
    } else if (IS("max-latency")) {
        s->kind = RS_SCORER_MAX_LATENCY;
        if (!arg) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': max-latency needs a bound (2000ms, 2s)",
                              spec);
            goto done;
        }
        size_t al = strlen(arg);
        double scale = 1;
        if (al > 2 && strcmp(arg + al - 2, "ms") == 0)
            arg[al - 2] = '\0';
        else if (al > 1 && arg[al - 1] == 's') {
            arg[al - 1] = '\0';
            scale = 1000;
        }
        if ((rc = parse_number(&s->threshold, arg, spec, "latency bound", err)) != 0)
            goto done;
        s->threshold *= scale;
    } else if (IS("judge")) {
        s->kind = RS_SCORER_JUDGE;
        if (!arg || (rc = take_threshold(s, arg, 0.5, err)) != 0) {
            if (!rc)
                rc = rs_error_set(err, RS_EINVAL, "scorer '%s': judge needs RUBRIC@PROVIDER/MODEL",
                                  spec);
            goto done;
        }
        const char *at = rs_ref_target_split(arg);
        if (!at) {
            rc = rs_error_set(err, RS_EINVAL,
                              "scorer '%s': judge needs RUBRIC@PROVIDER/MODEL "
                              "(e.g. judge:rubrics/helpful@openai/gpt-4o-mini)",
                              spec);
            goto done;
        }
        s->rubric = rs_strndup(arg, (size_t)(at - arg));
        s->target = rs_strdup(at + 1);
        if (!s->rubric || !s->target) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory parsing a scorer");
            goto done;
        }
    } else {
        rc = rs_error_set(err, RS_EINVAL,
                          "unknown scorer '%.*s' (equals, contains, contains-any, icontains, "
                          "icontains-any, regex, json-valid, json-schema, similarity, max-cost, "
                          "max-latency, judge)",
                          (int)nl, spec);
        goto done;
    }
#undef IS
    *out = s;
    s = NULL;
done:
    rs_free(arg);
    rs_scorer_free(s);
    return rc;
}

/* ---------- helpers ---------- */

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trimmed (ptr, len) of s. */
static const char *trim(const char *s, size_t *len)
{
    size_t n = strlen(s);
    while (n > 0 && is_space((unsigned char)s[n - 1]))
        n--;
    while (n > 0 && is_space((unsigned char)*s)) {
        s++;
        n--;
    }
    *len = n;
    return s;
}

/* The answer as JSON: trimmed, and one surrounding ``` fence (```json ... ```) removed, because
 * models wrap JSON in Markdown even when told not to; nothing else is forgiven. */
static int parse_answer_json(cJSON **out, const char *answer, rs_error *err)
{
    size_t n;
    const char *p = trim(answer, &n);
    if (n >= 6 && memcmp(p, "```", 3) == 0 && memcmp(p + n - 3, "```", 3) == 0) {
        const char *nl = memchr(p, '\n', n);
        if (nl && (size_t)(nl - p) < n - 3) {
            n = (size_t)(p + n - 3 - (nl + 1));
            p = nl + 1;
        }
    }
    return rs_json_parse(out, p, n, "answer", err);
}

static const char *find_icase(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    if (nl == 0)
        return hay;
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < nl && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == nl)
            return h;
    }
    return NULL;
}

/* Lowercased alphanumeric tokens (ASCII letters and digits; other bytes >= 0x80 are kept, so
 * UTF-8 words stay words). */
static int next_token(const char **p, const char **start, size_t *len)
{
    const char *s = *p;
    while (*s && !(isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80))
        s++;
    if (!*s)
        return 0;
    const char *b = s;
    while (*s && (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80))
        s++;
    *start = b;
    *len = (size_t)(s - b);
    *p = s;
    return 1;
}

static int token_eq(const char *a, size_t al, const char *b, size_t bl)
{
    if (al != bl)
        return 0;
    for (size_t i = 0; i < al; i++)
        if (tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    return 1;
}

/* Token F1 as in SQuAD: multiset overlap; both empty = 1, one empty = 0. O(n*m) on token counts,
 * which for answers of a few hundred tokens is microseconds. */
double rs_similarity_f1(const char *a, const char *b)
{
    const char *p = a, *ts;
    size_t tl, na = 0, nb = 0, common = 0;
    while (next_token(&p, &ts, &tl))
        na++;
    p = b;
    while (next_token(&p, &ts, &tl))
        nb++;
    if (na == 0 || nb == 0)
        return na == nb ? 1.0 : 0.0;
    unsigned char *used = rs_calloc(nb, 1);
    if (!used)
        return 0;
    p = a;
    while (next_token(&p, &ts, &tl)) {
        const char *q = b, *us;
        size_t ul, j = 0;
        while (next_token(&q, &us, &ul)) {
            if (!used[j] && token_eq(ts, tl, us, ul)) {
                used[j] = 1;
                common++;
                break;
            }
            j++;
        }
    }
    rs_free(used);
    if (common == 0)
        return 0;
    double prec = (double)common / (double)na, rec = (double)common / (double)nb;
    return 2 * prec * rec / (prec + rec);
}

int rs_similarity_edit(double *out, const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    *out = 0;
    if (n == 0 && m == 0) {
        *out = 1;
        return 0;
    }
    if (n > EDIT_MAX_LEN || m > EDIT_MAX_LEN)
        return RS_ELIMIT;
    size_t *row = rs_malloc((m + 1) * sizeof *row);
    if (!row)
        return RS_ENOMEM;
    size_t d = rs_edit_distance(a, n, b, m, row);
    rs_free(row);
    *out = 1.0 - (double)d / (double)(n > m ? n : m);
    return 0;
}

/* ---------- JSON Schema: the validator `render --strict` uses (templates/) ---------- */

int rs_scorer_schema_check(const cJSON *schema, const cJSON *value, rs_error *err)
{
    return rs_jsonschema_validate(schema, value, "output", err);
}

/* ---------- judge ---------- */

cJSON *rs_scorer_judge_vars(const cJSON *vars, const char *output, const cJSON *expected)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *in = vars ? cJSON_Duplicate(vars, 1) : cJSON_CreateObject();
    cJSON *out = cJSON_CreateString(output ? output : "");
    cJSON *ex = expected ? cJSON_Duplicate(expected, 1) : cJSON_CreateNull();
    if (!o || !in || !out || !ex) {
        cJSON_Delete(o);
        cJSON_Delete(in);
        cJSON_Delete(out);
        cJSON_Delete(ex);
        return NULL;
    }
    /* each add copies its key and may fail: the item is then still ours to free */
    if (!cJSON_AddItemToObject(o, "input", in)) {
        cJSON_Delete(in);
        in = NULL;
    }
    if (!cJSON_AddItemToObject(o, "output", out)) {
        cJSON_Delete(out);
        out = NULL;
    }
    if (!cJSON_AddItemToObject(o, "expected", ex)) {
        cJSON_Delete(ex);
        ex = NULL;
    }
    if (!in || !out || !ex) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int rs_scorer_parse_judge_answer(double *score, const char *answer, rs_error *err)
{
    cJSON *j = NULL;
    rs_error perr = RS_ERROR_INIT;
    int rc = parse_answer_json(&j, answer ? answer : "", &perr);
    *score = 0;
    if (rc) {
        rc = rs_error_set(err, RS_ESCHEMA,
                          "malformed judge answer: not JSON (want {\"score\": 0..1, ...}): %.80s",
                          answer ? answer : "");
        goto done;
    }
    const cJSON *s = cJSON_IsNumber(j) ? j : cJSON_GetObjectItemCaseSensitive(j, "score");
    if (!cJSON_IsNumber(s)) {
        rc = rs_error_set(err, RS_ESCHEMA,
                          "malformed judge answer: no numeric \"score\" (want {\"score\": 0..1})");
        goto done;
    }
    if (!(s->valuedouble >= 0 && s->valuedouble <= 1)) {
        rc = rs_error_set(err, RS_ESCHEMA, "malformed judge answer: score %g is outside [0, 1]",
                          s->valuedouble);
        goto done;
    }
    *score = s->valuedouble;
done:
    cJSON_Delete(j);
    return rc;
}

/* ---------- scoring ---------- */

/* The expected value as text for text scorers: a string as is, anything else printed as JSON. */
static char *expected_text(const cJSON *ex)
{
    if (cJSON_IsString(ex))
        return rs_strdup(ex->valuestring);
    return rs_json_print(ex, 0);
}

static int score_contains(int *pass, const rs_scorer *s, const char *out, const cJSON *ex,
                          rs_error *err)
{
    const char *lits[MAX_PARTS];
    size_t n = 0;
    if (s->n_parts) {
        for (size_t i = 0; i < s->n_parts; i++)
            lits[n++] = s->parts[i];
    } else if (cJSON_IsString(ex)) {
        lits[n++] = ex->valuestring;
    } else if (cJSON_IsArray(ex)) {
        for (const cJSON *x = ex->child; x; x = x->next) {
            if (!cJSON_IsString(x) || n == MAX_PARTS)
                return rs_error_set(err, RS_EINVAL,
                                    "scorer '%s': expected must be a string or up to %d strings",
                                    s->spec, MAX_PARTS);
            lits[n++] = x->valuestring;
        }
    }
    if (n == 0)
        return rs_error_set(err, RS_EINVAL,
                            "scorer '%s': no text to look for (give one, or an expected string)",
                            s->spec);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found += (s->icase ? find_icase(out, lits[i]) : strstr(out, lits[i])) != NULL;
    *pass = s->any ? found > 0 : (size_t)found == n;
    return 0;
}

int rs_scorer_pass_of(const rs_scorer *s, double value)
{
    switch (s->kind) {
    case RS_SCORER_SIMILARITY:
    case RS_SCORER_JUDGE:
        return value >= s->threshold;
    case RS_SCORER_MAX_COST:
    case RS_SCORER_MAX_LATENCY:
        return value >= 0 && value <= s->threshold;
    default:
        return value >= 0.5;
    }
}

int rs_scorer_score(rs_score *out, const rs_scorer *s, const rs_score_input *in, rs_error *err)
{
    int rc = 0, pass = 0;
    double value = 0;
    cJSON *parsed = NULL;
    char *ext = NULL;
    const char *answer = in->output ? in->output : "";
    memset(out, 0, sizeof *out);
    switch (s->kind) {
    case RS_SCORER_EQUALS: {
        size_t al;
        const char *a = trim(answer, &al);
        if (s->has_literal || cJSON_IsString(in->expected)) {
            size_t el;
            const char *e = trim(s->has_literal ? s->parts[0] : in->expected->valuestring, &el);
            pass = al == el && memcmp(a, e, al) == 0;
        } else if (in->expected) {
            rs_error ignore = RS_ERROR_INIT;
            pass = parse_answer_json(&parsed, answer, &ignore) == 0 &&
                   rs_json_equal(parsed, in->expected);
        } else {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': the case has no expected value",
                              s->spec);
        }
        break;
    }
    case RS_SCORER_CONTAINS:
        rc = score_contains(&pass, s, answer, in->expected, err);
        break;
    case RS_SCORER_REGEX:
        pass = regexec(&s->re, answer, 0, NULL, 0) == 0;
        break;
    case RS_SCORER_JSON_VALID: {
        rs_error ignore = RS_ERROR_INIT;
        pass = parse_answer_json(&parsed, answer, &ignore) == 0;
        break;
    }
    case RS_SCORER_JSON_SCHEMA: {
        if (!s->schema) {
            rc = rs_error_set(err, RS_EINVAL,
                              "scorer '%s': no schema (the prompt has no output.schema; name a "
                              "file: json-schema:FILE)",
                              s->spec);
            break;
        }
        rs_error ignore = RS_ERROR_INIT;
        if (parse_answer_json(&parsed, answer, &ignore) == 0) {
            rs_error serr = RS_ERROR_INIT;
            int src = rs_scorer_schema_check(s->schema, parsed, &serr);
            if (src == RS_ENOMEM)
                rc = rs_error_set(err, RS_ENOMEM, "out of memory checking a schema");
            else if (src == RS_EINVAL) /* the schema itself is unusable: say so, not "fail" */
                rc = rs_error_set(err, RS_EINVAL, "scorer '%s': %s", s->spec, serr.message);
            pass = src == 0;
        }
        break;
    }
    case RS_SCORER_SIMILARITY:
        if (!in->expected) {
            rc = rs_error_set(err, RS_EINVAL, "scorer '%s': the case has no expected value",
                              s->spec);
            break;
        }
        if (!(ext = expected_text(in->expected))) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory scoring");
            break;
        }
        if (s->use_edit) {
            int erc = rs_similarity_edit(&value, answer, ext);
            if (erc == RS_ELIMIT)
                rc = rs_error_set(err, RS_ELIMIT, "scorer '%s': texts over %d bytes", s->spec,
                                  EDIT_MAX_LEN);
            else if (erc)
                rc = rs_error_set(err, erc, "out of memory scoring");
        } else {
            value = rs_similarity_f1(answer, ext);
        }
        break;
    case RS_SCORER_MAX_COST:
        value = in->cost_known ? in->cost_usd : -1;
        break;
    case RS_SCORER_MAX_LATENCY:
        value = in->latency_ms;
        break;
    case RS_SCORER_JUDGE:
        rc = rs_scorer_parse_judge_answer(&value, in->judge_answer, err);
        break;
    }
    if (rc == 0) {
        if (rs_scorer_is_binary(s))
            value = pass;
        out->value = value;
        out->pass = rs_scorer_pass_of(s, value);
        out->normalized =
            (s->kind == RS_SCORER_MAX_COST || s->kind == RS_SCORER_MAX_LATENCY) ? out->pass : value;
    }
    cJSON_Delete(parsed);
    rs_free(ext);
    return rc;
}
