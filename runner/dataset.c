/*
 * runner/dataset.c - JSONL datasets, loaded all or nothing (see dataset.h).
 */
#include "runner/dataset.h"

#include "util/alloc.h"
#include "util/file.h"
#include "util/json.h"
#include "util/str.h"
#include "util/vec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LISTED_BAD_LINES 10

uint64_t rs_fnv1a64(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void case_free(rs_case *c)
{
    rs_free(c->id);
    cJSON_Delete(c->vars);
    cJSON_Delete(c->expected);
    cJSON_Delete(c->metadata);
}

void rs_dataset_free(rs_dataset *ds)
{
    if (!ds)
        return;
    for (size_t i = 0; i < ds->n; i++)
        case_free(&ds->cases[i]);
    rs_free(ds->cases);
    rs_free(ds->name);
    rs_free(ds->path);
    rs_free(ds);
}

const rs_case *rs_dataset_find(const rs_dataset *ds, const char *id)
{
    for (size_t i = 0; i < ds->n; i++)
        if (strcmp(ds->cases[i].id, id) == 0)
            return &ds->cases[i];
    return NULL;
}

/* Check one parsed line and move its parts into *c. Errors are located at (file, line, 1). */
static int take_case(rs_case *c, cJSON *obj, const char *file, int line, size_t ordinal,
                     rs_error *err)
{
    int rc = 0;
    memset(c, 0, sizeof *c);
    c->line = line;
    if (!cJSON_IsObject(obj))
        return rs_error_set_at(err, RS_ESYNTAX, file, line, 1,
                               "a case must be a JSON object {\"id\", \"vars\", \"expected\"}");
    for (cJSON *it = obj->child; it; it = it->next) {
        if (strcmp(it->string, "id") && strcmp(it->string, "vars") &&
            strcmp(it->string, "expected") && strcmp(it->string, "metadata"))
            return rs_error_set_at(err, RS_ESYNTAX, file, line, 1,
                                   "unknown key '%s' (a case has id, vars, expected, metadata)",
                                   it->string);
    }
    cJSON *id = cJSON_GetObjectItemCaseSensitive(obj, "id");
    char buf[32];
    if (!id) {
        int n = snprintf(buf, sizeof buf, "%zu", ordinal);
        if (n < 0 || (size_t)n >= sizeof buf)
            return rs_error_set(err, RS_EINTERNAL, "case number does not fit");
        c->id = rs_strdup(buf);
    } else if (cJSON_IsString(id)) {
        if (id->valuestring[0] == '\0')
            return rs_error_set_at(err, RS_ESYNTAX, file, line, 1, "\"id\" is empty");
        c->id = rs_strdup(id->valuestring);
    } else if (cJSON_IsNumber(id) && id->valuedouble >= -9223372036854775808.0 &&
               id->valuedouble < 9223372036854775808.0 && /* the cast below is defined */
               id->valuedouble == (double)(long long)id->valuedouble) {
        int n = snprintf(buf, sizeof buf, "%lld", (long long)id->valuedouble);
        if (n < 0 || (size_t)n >= sizeof buf)
            return rs_error_set(err, RS_EINTERNAL, "case id does not fit");
        c->id = rs_strdup(buf);
    } else {
        return rs_error_set_at(err, RS_ESYNTAX, file, line, 1,
                               "\"id\" must be a string or an integer");
    }
    if (!c->id)
        return rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
    cJSON *vars = cJSON_DetachItemFromObjectCaseSensitive(obj, "vars");
    if (vars && !cJSON_IsObject(vars)) {
        cJSON_Delete(vars);
        rc = rs_error_set_at(err, RS_ESYNTAX, file, line, 1,
                             "\"vars\" must be an object (the prompt's input)");
        goto done;
    }
    c->vars = vars ? vars : cJSON_CreateObject();
    if (!c->vars) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
        goto done;
    }
    c->expected = cJSON_DetachItemFromObjectCaseSensitive(obj, "expected");
    c->metadata = cJSON_DetachItemFromObjectCaseSensitive(obj, "metadata");
done:
    return rc;
}

/*
 * The loop keeps going after a bad line so the message can list every bad line at once (fixing a
 * 10,000-line file one error per run is miserable); the first error keeps its full location.
 */
int rs_dataset_parse(rs_dataset **out, const char *text, size_t len, const char *file,
                     rs_error *err)
{
    int rc = 0;
    rs_dataset *ds = NULL;
    rs_vec cases = RS_VEC_INIT(rs_case);
    rs_vec bad = RS_VEC_INIT(int);
    rs_error first = RS_ERROR_INIT;
    *out = NULL;
    size_t pos = 0;
    int line = 0;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        size_t m = n;
        if (m > 0 && s[m - 1] == '\r')
            m--;
        size_t k = 0;
        while (k < m && (s[k] == ' ' || s[k] == '\t'))
            k++;
        if (k == m)
            continue;
        rs_error lerr = RS_ERROR_INIT;
        cJSON *obj = NULL;
        int lrc = rs_json_parse(&obj, s, m, file, &lerr);
        rs_case c;
        memset(&c, 0, sizeof c);
        if (lrc == 0)
            lrc = take_case(&c, obj, file, line, cases.len + bad.len + 1, &lerr);
        cJSON_Delete(obj);
        if (lrc == RS_ENOMEM) {
            case_free(&c);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
            goto done;
        }
        if (lrc == 0) {
            for (size_t i = 0; i < cases.len && lrc == 0; i++) {
                const rs_case *o = &RS_VEC_AT(&cases, rs_case, i);
                if (strcmp(o->id, c.id) == 0)
                    lrc = rs_error_set_at(&lerr, RS_ESYNTAX, file, line, 1,
                                          "duplicate id \"%s\" (first on line %d)", c.id, o->line);
            }
        }
        if (lrc == 0 && rs_vec_push(&cases, &c) != 0)
            lrc = RS_ENOMEM;
        if (lrc == RS_ENOMEM) {
            case_free(&c);
            rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
            goto done;
        }
        if (lrc != 0) {
            case_free(&c);
            /* the JSON parser saw one line: put its location on the file's line */
            lerr.line = line;
            rs_error_set_snippet(&lerr, s, m, 1);
            if (bad.len == 0)
                first = lerr;
            if (rs_vec_push(&bad, &line) != 0) {
                rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
                goto done;
            }
        }
    }
    if (bad.len > 0) {
        rs_str more = RS_STR_INIT;
        if (bad.len > 1) {
            rs_str_appendf(&more, " (%zu more bad line%s: ", bad.len - 1, bad.len > 2 ? "s" : "");
            for (size_t i = 1; i < bad.len && i <= MAX_LISTED_BAD_LINES; i++)
                rs_str_appendf(&more, "%s%d", i > 1 ? ", " : "", RS_VEC_AT(&bad, int, i));
            rs_str_puts(&more, bad.len - 1 > MAX_LISTED_BAD_LINES ? ", ...)" : ")");
        }
        *err = first;
        if (more.len > 0) {
            size_t used = strlen(err->message);
            snprintf(err->message + used, sizeof err->message - used, "%s", rs_str_cstr(&more));
        }
        rs_str_free(&more);
        rc = err->code ? err->code : RS_ESYNTAX;
        goto done;
    }
    if (cases.len == 0) {
        rc = rs_error_set_at(err, RS_EINVAL, file, 0, 0, "the dataset has no cases");
        goto done;
    }
    ds = rs_calloc(1, sizeof *ds);
    if (!ds) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
        goto done;
    }
    ds->hash = rs_fnv1a64(RS_FNV64_OFFSET, text, len);
    ds->n = cases.len;
    ds->cases = cases.items;
    cases.items = NULL;
    cases.len = 0;
    *out = ds;
    ds = NULL;
done:
    for (size_t i = 0; i < cases.len; i++)
        case_free(&RS_VEC_AT(&cases, rs_case, i));
    rs_vec_free(&cases);
    rs_vec_free(&bad);
    rs_dataset_free(ds);
    return rc;
}

int rs_dataset_load_file(rs_dataset **out, const char *path, rs_error *err)
{
    char *text = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = rs_file_read(&text, &len, path, err);
    if (rc)
        return rc;
    const char *shown = strcmp(path, "-") ? path : "<stdin>";
    rc = rs_dataset_parse(out, text, len, shown, err);
    rs_free(text);
    if (rc == 0) {
        (*out)->name = rs_strdup(shown);
        (*out)->path = rs_strdup(shown);
        if (!(*out)->name || !(*out)->path) {
            rs_dataset_free(*out);
            *out = NULL;
            rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
        }
    }
    return rc;
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int rs_dataset_open(rs_dataset **out, const char *registry_root, const char *name_or_file,
                    rs_error *err)
{
    int rc = 0;
    rs_str path = RS_STR_INIT;
    *out = NULL;
    if (strcmp(name_or_file, "-") == 0 || is_file(name_or_file)) {
        rc = rs_dataset_load_file(out, name_or_file, err);
        goto done;
    }
    if (!registry_root) {
        rc = rs_error_set(err, RS_ENOTFOUND, "dataset '%s': no such file (and no registry)",
                          name_or_file);
        goto done;
    }
    if (strstr(name_or_file, "..") || name_or_file[0] == '/') {
        rc = rs_error_set(err, RS_EINVAL,
                          "dataset name '%s' may not contain '..' or start with '/'", name_or_file);
        goto done;
    }
    size_t nl = strlen(name_or_file);
    int has_ext = nl > 6 && strcmp(name_or_file + nl - 6, ".jsonl") == 0;
    rs_str_appendf(&path, "%s/datasets/%s%s", registry_root, name_or_file, has_ext ? "" : ".jsonl");
    if ((rc = rs_str_report(&path, err, "a dataset path")) != 0)
        goto done;
    if (!is_file(rs_str_cstr(&path))) {
        rc = rs_error_set(err, RS_ENOTFOUND, "dataset '%s' not found (no file '%s', no '%s')",
                          name_or_file, name_or_file, rs_str_cstr(&path));
        goto done;
    }
    rc = rs_dataset_load_file(out, rs_str_cstr(&path), err);
    if (rc == 0) {
        rs_free((*out)->name);
        (*out)->name = rs_strdup(name_or_file);
        if (!(*out)->name) {
            rs_dataset_free(*out);
            *out = NULL;
            rc = rs_error_set(err, RS_ENOMEM, "out of memory reading a dataset");
        }
    }
done:
    rs_str_free(&path);
    return rc;
}
