/*
 * providers/sse.c - incremental SSE and NDJSON framing, and the stream decoder (see sse.h).
 *
 * Both parsers scan each chunk for line ends and only copy the bytes of a line that straddles
 * chunk boundaries, so a large chunk full of small events costs one pass and no copies of
 * complete lines beyond the event's data buffer.
 */
#include "providers/sse.h"

#include "providers/decode.h"

#include <string.h>

void rs_sse_init(rs_sse_parser *p)
{
    memset(p, 0, sizeof *p);
    rs_str_init(&p->line, RS_SSE_MAX_EVENT);
    rs_str_init(&p->event, 4096);
    rs_str_init(&p->data, RS_SSE_MAX_EVENT);
}

void rs_sse_free(rs_sse_parser *p)
{
    rs_str_free(&p->line);
    rs_str_free(&p->event);
    rs_str_free(&p->data);
}

static int sse_fail(rs_sse_parser *p, int code, rs_error *err)
{
    p->error = code;
    if (code == RS_ELIMIT)
        return rs_error_set(err, code, "a stream event is larger than %zu bytes",
                            (size_t)RS_SSE_MAX_EVENT);
    return rs_error_set(err, code, "out of memory reading a stream");
}

/* One complete line (without its end). Dispatches on an empty line. */
static int sse_line(rs_sse_parser *p, const char *s, size_t n, rs_sse_event_fn cb, void *ud,
                    rs_error *err)
{
    if (n == 0) {
        int rc = 0;
        if (p->has_data) {
            p->events++;
            const char *ev = p->event.len ? rs_str_cstr(&p->event) : NULL;
            /* data is NUL-terminated by rs_str; "" when empty */
            rc = cb(ud, ev, p->data.len ? p->data.ptr : "", p->data.len, err);
        }
        rs_str_reset(&p->event);
        rs_str_reset(&p->data);
        p->has_data = 0;
        return rc;
    }
    if (s[0] == ':')
        return 0; /* comment / keep-alive */
    const char *colon = memchr(s, ':', n);
    size_t flen = colon ? (size_t)(colon - s) : n;
    const char *v = colon ? colon + 1 : s + n;
    size_t vlen = colon ? n - flen - 1 : 0;
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (flen == 4 && memcmp(s, "data", 4) == 0) {
        if (p->has_data)
            rs_str_putc(&p->data, '\n');
        rs_str_append(&p->data, v, vlen);
        p->has_data = 1;
        if (rs_str_error(&p->data))
            return sse_fail(p, rs_str_error(&p->data), err);
    } else if (flen == 5 && memcmp(s, "event", 5) == 0) {
        rs_str_reset(&p->event);
        rs_str_append(&p->event, v, vlen);
        if (rs_str_error(&p->event))
            return sse_fail(p, rs_str_error(&p->event), err);
    }
    /* id:, retry: and unknown fields do not matter to a one-shot LLM stream */
    return 0;
}

/*
 * Split buf into lines ending in CR, LF or CRLF, calling fn for each; bytes after the last line
 * end stay in *line. *last_cr remembers a CR at the end of a chunk so that an LF beginning the
 * next chunk is not taken for an empty line (which would dispatch an event early).
 */
typedef int (*line_fn)(void *self, const char *s, size_t n, rs_sse_event_fn cb, void *ud,
                       rs_error *err);

static int line_fail(const rs_str *line, rs_error *err)
{
    if (rs_str_error(line) == RS_ELIMIT)
        return rs_error_set(err, RS_ELIMIT, "a stream line is longer than %zu bytes",
                            (size_t)RS_SSE_MAX_EVENT);
    return rs_error_set(err, RS_ENOMEM, "out of memory reading a stream");
}

static int split_lines(rs_str *line, int *last_cr, const char *buf, size_t len, line_fn fn,
                       void *self, rs_sse_event_fn cb, void *ud, rs_error *err)
{
    if (len == 0)
        return 0;
    size_t i = 0;
    if (*last_cr && buf[0] == '\n')
        i = 1;
    *last_cr = 0;
    size_t start = i;
    for (; i < len; i++) {
        char c = buf[i];
        if (c != '\n' && c != '\r')
            continue;
        int rc;
        if (line->len) {
            rs_str_append(line, buf + start, i - start);
            if (rs_str_error(line))
                return line_fail(line, err);
            rc = fn(self, line->ptr, line->len, cb, ud, err);
            rs_str_reset(line);
        } else {
            rc = fn(self, buf + start, i - start, cb, ud, err);
        }
        if (rc)
            return rc;
        if (c == '\r') {
            if (i + 1 < len && buf[i + 1] == '\n')
                i++;
            else if (i + 1 == len)
                *last_cr = 1;
        }
        start = i + 1;
    }
    if (start < len) {
        rs_str_append(line, buf + start, len - start);
        if (rs_str_error(line))
            return line_fail(line, err);
    }
    return 0;
}

static int sse_line_fn(void *self, const char *s, size_t n, rs_sse_event_fn cb, void *ud,
                       rs_error *err)
{
    return sse_line(self, s, n, cb, ud, err);
}

int rs_sse_feed(rs_sse_parser *p, const char *buf, size_t len, rs_sse_event_fn cb, void *ud,
                rs_error *err)
{
    if (p->error)
        return rs_error_set(err, p->error, "the stream parser already failed");
    int rc = split_lines(&p->line, &p->last_cr, buf, len, sse_line_fn, p, cb, ud, err);
    if (rc)
        p->error = rc;
    return rc;
}

int rs_sse_finish(rs_sse_parser *p)
{
    int pending = p->line.len > 0 || p->has_data;
    rs_str_reset(&p->line);
    rs_str_reset(&p->data);
    rs_str_reset(&p->event);
    p->has_data = 0;
    return pending;
}

void rs_ndjson_init(rs_ndjson_parser *p)
{
    memset(p, 0, sizeof *p);
    rs_str_init(&p->line, RS_SSE_MAX_EVENT);
}

void rs_ndjson_free(rs_ndjson_parser *p)
{
    rs_str_free(&p->line);
}

static int nd_line_fn(void *self, const char *s, size_t n, rs_sse_event_fn cb, void *ud,
                      rs_error *err)
{
    rs_ndjson_parser *p = self;
    size_t a = 0;
    while (a < n && (s[a] == ' ' || s[a] == '\t'))
        a++;
    if (a == n)
        return 0;
    p->lines++;
    /* The callback gets a NUL-terminated line: complete lines inside a chunk are not, so copy. */
    if (s[n] == '\n' || s[n] == '\r') {
        rs_str tmp = RS_STR_INIT;
        rs_str_append(&tmp, s, n);
        if (rs_str_error(&tmp)) {
            rs_str_free(&tmp);
            return rs_error_set(err, RS_ENOMEM, "out of memory reading a stream");
        }
        int rc = cb(ud, NULL, tmp.ptr, n, err);
        rs_str_free(&tmp);
        return rc;
    }
    return cb(ud, NULL, s, n, err);
}

int rs_ndjson_feed(rs_ndjson_parser *p, const char *buf, size_t len, rs_sse_event_fn cb, void *ud,
                   rs_error *err)
{
    if (p->error)
        return rs_error_set(err, p->error, "the stream parser already failed");
    int last_cr = 0; /* an empty line is skipped anyway: a split CRLF needs no memory here */
    int rc = split_lines(&p->line, &last_cr, buf, len, nd_line_fn, p, cb, ud, err);
    if (rc)
        p->error = rc;
    return rc;
}

int rs_ndjson_finish(rs_ndjson_parser *p, rs_sse_event_fn cb, void *ud, rs_error *err)
{
    if (p->error)
        return rs_error_set(err, p->error, "the stream parser already failed");
    int rc = 0;
    if (p->line.len) {
        size_t a = 0;
        while (a < p->line.len && (p->line.ptr[a] == ' ' || p->line.ptr[a] == '\t'))
            a++;
        if (a < p->line.len) {
            p->lines++;
            rc = cb(ud, NULL, p->line.ptr, p->line.len, err);
        }
    }
    rs_str_reset(&p->line);
    return rc;
}

/* ---------- the stream decoder ---------- */

void rs_stream_decoder_init(rs_stream_decoder *d, const rs_dialect *dialect, rs_result *res,
                            rs_provider_error *pe)
{
    memset(d, 0, sizeof *d);
    d->dialect = dialect;
    d->res = res;
    d->pe = pe;
    if (pe) {
        pe->cls = RS_FAIL_NONE;
        pe->http_status = 0;
        pe->retry_after_ms = -1;
        pe->message[0] = '\0';
    }
    rs_sse_init(&d->sse);
    rs_ndjson_init(&d->nd);
}

static int decoder_event(void *ud, const char *event, const char *data, size_t len, rs_error *err)
{
    rs_stream_decoder *d = ud;
    if (d->st.done)
        return 0; /* anything after the terminal event is not part of the answer */
    return d->dialect->stream_event(&d->st, d->res, d->pe, event, data, len, err);
}

int rs_stream_decoder_feed(rs_stream_decoder *d, const char *buf, size_t len, rs_error *err)
{
    if (d->failed)
        return rs_error_set(err, d->failed, "the stream already failed");
    if (d->st.done)
        return 0;
    int rc = d->dialect->stream_ndjson ? rs_ndjson_feed(&d->nd, buf, len, decoder_event, d, err)
                                       : rs_sse_feed(&d->sse, buf, len, decoder_event, d, err);
    if (rc == RS_ELIMIT) /* a monstrous event is a broken answer: give it a class */
        rc = rs_provider_fail(d->pe, NULL, RS_FAIL_DECODE, 200, -1, "%s", err ? err->message : "");
    if (rc == RS_EPROVIDER && err)
        err->code = RS_EPROVIDER;
    if (rc)
        d->failed = rc;
    return rc;
}

int rs_stream_decoder_finish(rs_stream_decoder *d, rs_error *err)
{
    if (d->failed)
        return rs_error_set(err, d->failed, "the stream already failed");
    int rc = 0;
    if (d->dialect->stream_ndjson && !d->st.done) {
        /* A last line without its newline is delivered (a server may omit the final newline);
         * if it does not parse, the connection was cut inside it: a stream failure, not a
         * malformed answer, so that it is retried. */
        rc = rs_ndjson_finish(&d->nd, decoder_event, d, err);
        if (rc == RS_EPROVIDER && d->pe && d->pe->cls == RS_FAIL_DECODE)
            rc = rs_provider_fail(d->pe, err, RS_FAIL_STREAM, 200, -1,
                                  "the %s stream was cut inside a line", d->dialect->name);
    } else if (!d->dialect->stream_ndjson)
        rs_sse_finish(&d->sse);
    if (rc == 0 && !d->st.done)
        rc = rs_provider_fail(d->pe, err, RS_FAIL_STREAM, 200, -1,
                              "the %s stream ended before its final event (connection cut?)",
                              d->dialect->name);
    if (rc)
        d->failed = rc;
    return rc;
}

void rs_stream_decoder_free(rs_stream_decoder *d)
{
    if (d->dialect && d->dialect->stream_free)
        d->dialect->stream_free(&d->st);
    rs_sse_free(&d->sse);
    rs_ndjson_free(&d->nd);
}
