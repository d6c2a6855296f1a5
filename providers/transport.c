/*
 * providers/transport.c - the curl multi engine (see transport.h). The only includer of curl.h.
 *
 * Shape: one CURLM per rs_transport; each exchange gets an easy handle from a small pool (reset
 * and reused, so a batch of thousands does not allocate thousands of handles); connections live
 * in the multi handle's connection cache and are reused across exchanges to the same host.
 * Everything runs on the caller's thread inside rs_transport_step (and rs_transport_add).
 *
 * The engine is driven by events (curl_multi_socket_action), not by curl_multi_perform: curl
 * tells us which sockets to watch (socket_cb) and when its next timer is due (timer_cb); we
 * poll() exactly those sockets and hand curl only the ones that are ready. Two reasons:
 *   - a new exchange is started at once in rs_transport_add (its timer is due immediately), so
 *     a request added from a `done` callback leaves before the other answers of the same wave
 *     are decoded; with curl_multi_perform it waited until every completion had been handled;
 *   - each wake-up costs the ready sockets, not every transfer in flight (perform walks all).
 * poll() rather than epoll: POSIX, no system call to change what a socket waits for, and the
 * sets are small (one socket per connection in use).
 */
#include "providers/transport.h"

#include "providers/decode.h"
#include "providers/sse.h"
#include "util/alloc.h"
#include "util/error.h"

#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX ((size_t)64 * 1024 * 1024) /* a provider answer larger than this is refused */
#define TRACE_BODY_MAX 4096                 /* bytes of a body shown by --verbose */
#define MAX_SECRETS 8

struct rs_transport {
    CURLM *multi;
    rs_transport_opts o;
    size_t pending;
    rs_vec pool; /* of CURL *: idle easy handles */
    /* What poll() waits for: [0] is the wake-up pipe's read end, then curl's sockets. */
    struct pollfd *fds;
    size_t nfds, capfds;
    int wake[2];      /* self-pipe: rs_transport_wakeup writes, step drains */
    double timer_at;  /* when curl wants CURL_SOCKET_TIMEOUT (ms, monotonic); < 0 none */
    int in_curl;      /* inside curl_multi_socket_action: curl must not be re-entered */
    int watch_failed; /* socket_cb could not grow fds */
};

typedef struct secret {
    const char *p;
    size_t n;
} secret;

struct rs_xfer {
    rs_transport *t;
    rs_exchange *x;
    CURL *easy;
    struct curl_slist *hdrs;
    char errbuf[CURL_ERROR_SIZE];
    double t0;
    int status;    /* status of the latest status line seen */
    int streaming; /* body goes to the stream decoder */
    rs_str body;
    rs_retry_hint hint;
    rs_stream_decoder dec;
    int dec_on;
    size_t text_sent; /* bytes of result.text already handed to on_text */
    int write_rc;     /* a failure seen while receiving (error event, limit): abort */
    secret secrets[MAX_SECRETS];
    size_t nsecrets;
    char host[256]; /* scheme://host[:port] for messages */
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

const char *rs_transport_describe(void)
{
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    return (v->features & CURL_VERSION_HTTP2) ? "libcurl (HTTP/1.1, HTTP/2)" : "libcurl (HTTP/1.1)";
}

/* ---------- events: the sockets curl asks for, its timer, the wake-up pipe ---------- */

static int set_nonblock_cloexec(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    int fd_fl = fcntl(fd, F_GETFD);
    if (fl < 0 || fd_fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, fd_fl | FD_CLOEXEC) < 0)
        return -1;
    return 0;
}

/* curl: watch socket s for `what` (CURL_POLL_IN/OUT/INOUT), or stop watching it (REMOVE). */
static int socket_cb(CURL *easy, curl_socket_t s, int what, void *ud, void *socketp)
{
    (void)easy;
    (void)socketp;
    rs_transport *t = ud;
    size_t i = 1;
    while (i < t->nfds && t->fds[i].fd != s)
        i++;
    if (what == CURL_POLL_REMOVE) {
        if (i < t->nfds)
            t->fds[i] = t->fds[--t->nfds]; /* order does not matter */
        return 0;
    }
    if (i == t->nfds) {
        if (t->nfds == t->capfds) {
            size_t cap = t->capfds * 2;
            struct pollfd *fds = rs_realloc(t->fds, cap * sizeof *fds);
            if (!fds) {
                t->watch_failed = 1;
                return -1; /* curl aborts the call: step reports it */
            }
            t->fds = fds;
            t->capfds = cap;
        }
        t->nfds++;
        t->fds[i].fd = s;
    }
    t->fds[i].events =
        (short)((what & CURL_POLL_IN ? POLLIN : 0) | (what & CURL_POLL_OUT ? POLLOUT : 0));
    t->fds[i].revents = 0;
    return 0;
}

/* curl: call me back with CURL_SOCKET_TIMEOUT in timeout_ms (0: as soon as possible; -1: no
 * timer). */
static int timer_cb(CURLM *multi, long timeout_ms, void *ud)
{
    (void)multi;
    rs_transport *t = ud;
    t->timer_at = timeout_ms < 0 ? -1 : now_ms() + (double)timeout_ms;
    return 0;
}

static int events_init(rs_transport *t, rs_error *err)
{
    t->capfds = 16;
    t->fds = rs_calloc(t->capfds, sizeof *t->fds);
    if (!t->fds)
        return rs_error_set(err, RS_ENOMEM, "out of memory creating the HTTP transport");
    if (pipe(t->wake) != 0 || set_nonblock_cloexec(t->wake[0]) != 0 ||
        set_nonblock_cloexec(t->wake[1]) != 0)
        return rs_error_set(err, RS_EHTTP, "cannot create the HTTP transport's wake-up pipe: %s",
                            strerror(errno));
    t->fds[0].fd = t->wake[0];
    t->fds[0].events = POLLIN;
    t->nfds = 1;
    CURLMcode mc = curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
    if (mc != CURLM_OK) {
        int rc = rs_error_set(err, RS_EHTTP, "configuring the HTTP transport: %s",
                              curl_multi_strerror(mc));
        rs_error_set_cause(err, (int)mc);
        return rc;
    }
    return 0;
}

/* Hand curl one ready socket (or CURL_SOCKET_TIMEOUT: its due timers, new exchanges among
 * them). Never re-entered: a callback that adds an exchange leaves it to the timer. */
static CURLMcode drive(rs_transport *t, curl_socket_t s, int ev_bitmask)
{
    int running = 0;
    t->in_curl++;
    CURLMcode mc = curl_multi_socket_action(t->multi, s, ev_bitmask, &running);
    t->in_curl--;
    if (mc == CURLM_OK && t->watch_failed)
        mc = CURLM_OUT_OF_MEMORY;
    return mc;
}

/* Run curl's timer when it is due. */
static CURLMcode drive_timer(rs_transport *t)
{
    if (t->timer_at < 0 || now_ms() < t->timer_at)
        return CURLM_OK;
    t->timer_at = -1; /* curl sets the next one from inside the call */
    return drive(t, CURL_SOCKET_TIMEOUT, 0);
}

/* ---------- set-up ---------- */

int rs_transport_new(rs_transport **out, const rs_transport_opts *opts, rs_error *err)
{
    int rc = 0;
    rs_transport *t = NULL;
    *out = NULL;
    t = rs_calloc(1, sizeof *t);
    if (!t) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory creating the HTTP transport");
        goto done;
    }
    if (opts)
        t->o = *opts;
    if (t->o.connect_timeout_ms <= 0)
        t->o.connect_timeout_ms = 10000;
    if (t->o.max_cached_conns <= 0)
        t->o.max_cached_conns = 256;
    rs_vec_init(&t->pool, sizeof(CURL *));
    t->wake[0] = t->wake[1] = -1;
    t->timer_at = -1;
    t->multi = curl_multi_init();
    if (!t->multi) {
        rc = rs_error_set(err, RS_EHTTP, "curl_multi_init failed (was rs_global_init called?)");
        goto done;
    }
    CURLMcode mc = curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, t->o.max_cached_conns);
    if (mc == CURLM_OK && t->o.max_host_conns > 0)
        mc = curl_multi_setopt(t->multi, CURLMOPT_MAX_HOST_CONNECTIONS, t->o.max_host_conns);
    if (mc == CURLM_OK)
        mc = curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    if (mc != CURLM_OK) {
        rc = rs_error_set(err, RS_EHTTP, "configuring the HTTP transport: %s",
                          curl_multi_strerror(mc));
        rs_error_set_cause(err, (int)mc);
        goto done;
    }
    if ((rc = events_init(t, err)) != 0)
        goto done;
    *out = t;
    t = NULL;
done:
    rs_transport_free(t);
    return rc;
}

static void xfer_free(struct rs_xfer *xf);

void rs_transport_free(rs_transport *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->pool.len; i++)
        curl_easy_cleanup(RS_VEC_AT(&t->pool, CURL *, i));
    rs_vec_free(&t->pool);
    /* The owner removed or completed every exchange first (transport.h). */
    if (t->multi)
        curl_multi_cleanup(t->multi); /* may still call socket_cb: fds stays until after */
    rs_free(t->fds);
    if (t->wake[0] >= 0)
        close(t->wake[0]);
    if (t->wake[1] >= 0)
        close(t->wake[1]);
    rs_free(t);
}

void rs_exchange_init(rs_exchange *x)
{
    memset(x, 0, sizeof *x);
    rs_result_init(&x->result);
    x->should_retry = -1;
    x->retry_after_ms = -1;
    x->ttfb_ms = -1;
    x->ttft_ms = -1;
    x->pe.retry_after_ms = -1;
}

void rs_exchange_reset(rs_exchange *x)
{
    if (!x)
        return;
    rs_result_free(&x->result);
    rs_exchange_init(x);
}

/* ---------- callbacks ---------- */

static int is_secret_header(const char *line, size_t len, size_t *name_len)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "x-api-key",
                                        "x-goog-api-key", "api-key"};
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return 0;
    size_t n = (size_t)(colon - line);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i]) == n && strncasecmp(line, names[i], n) == 0) {
            *name_len = n;
            return 1;
        }
    }
    return 0;
}

/* Remember the key values carried by the request (borrowed from req->headers) so the trace can
 * scrub them wherever they appear. "Bearer X" also registers X alone. */
static void collect_secrets(struct rs_xfer *xf, const rs_request *req)
{
    for (size_t i = 0; i < req->headers.len && xf->nsecrets < MAX_SECRETS; i++) {
        const char *h = RS_VEC_AT(&req->headers, char *, i);
        size_t len = strlen(h), nl = 0;
        if (!is_secret_header(h, len, &nl))
            continue;
        const char *v = h + nl + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        if (vl >= 4)
            xf->secrets[xf->nsecrets++] = (secret){v, vl};
        const char *sp = strchr(v, ' ');
        if (sp && strlen(sp + 1) >= 4 && xf->nsecrets < MAX_SECRETS)
            xf->secrets[xf->nsecrets++] = (secret){sp + 1, strlen(sp + 1)};
    }
}

/* Print one trace line: secret header values redacted, known key values scrubbed anywhere. */
static void trace_line(FILE *out, const struct rs_xfer *xf, char dir, const char *p, size_t n)
{
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r'))
        n--;
    size_t nl = 0;
    if (dir == '>' && is_secret_header(p, n, &nl)) {
        fprintf(out, "%c %.*s: [REDACTED]\n", dir, (int)nl, p);
        return;
    }
    fputc(dir, out);
    fputc(' ', out);
    size_t i = 0;
    while (i < n) {
        size_t hit = 0;
        for (size_t s = 0; s < xf->nsecrets && !hit; s++) {
            const secret *k = &xf->secrets[s];
            if (k->n <= n - i && memcmp(p + i, k->p, k->n) == 0)
                hit = k->n;
        }
        if (hit) {
            fputs("[REDACTED]", out);
            i += hit;
        } else {
            unsigned char c = (unsigned char)p[i++];
            fputc(c >= 0x20 || c == '\t' ? (int)c : '.', out);
        }
    }
    fputc('\n', out);
}

static void trace_block(FILE *out, const struct rs_xfer *xf, char dir, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(p + i, '\n', n - i);
        size_t len = nl ? (size_t)(nl - (p + i)) + 1 : n - i;
        trace_line(out, xf, dir, p + i, len);
        i += len;
    }
}

static int debug_cb(CURL *easy, curl_infotype type, char *data, size_t size, void *ud)
{
    (void)easy;
    struct rs_xfer *xf = ud;
    FILE *out = xf->t->o.trace;
    if (!out)
        return 0;
    switch (type) {
    case CURLINFO_TEXT:
        trace_line(out, xf, '*', data, size);
        break;
    case CURLINFO_HEADER_OUT:
        trace_block(out, xf, '>', data, size);
        break;
    case CURLINFO_HEADER_IN:
        trace_line(out, xf, '<', data, size);
        break;
    case CURLINFO_DATA_OUT:
    case CURLINFO_DATA_IN: {
        size_t shown = size > TRACE_BODY_MAX ? TRACE_BODY_MAX : size;
        trace_block(out, xf, type == CURLINFO_DATA_OUT ? '}' : '{', data, shown);
        if (shown < size)
            fprintf(out, "%c ... (%zu more bytes)\n", type == CURLINFO_DATA_OUT ? '}' : '{',
                    size - shown);
        break;
    }
    default:
        break;
    }
    fflush(out);
    return 0;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct rs_xfer *xf = ud;
    size_t n = size * nitems;
    if (n >= 5 && memcmp(buf, "HTTP/", 5) == 0) {
        /* A new response (1xx, then the final one): its status and fresh hints. */
        const char *sp = memchr(buf, ' ', n);
        int st = 0;
        for (const char *p = sp ? sp + 1 : buf + n; p < buf + n && *p >= '0' && *p <= '9'; p++)
            st = st * 10 + (*p - '0');
        xf->status = st;
        rs_retry_hint_init(&xf->hint);
    }
    rs_retry_hint_header(&xf->hint, buf, n);
    return n;
}

/* Hand the text decoded since the last call to on_text, and take TTFT at the first token. */
static void stream_progress(struct rs_xfer *xf)
{
    rs_exchange *x = xf->x;
    if (x->ttft_ms < 0 && xf->dec.st.got_first_token)
        x->ttft_ms = now_ms() - xf->t0;
    if (x->on_text && x->result.text.len > xf->text_sent) {
        x->on_text(x->text_ud, x->result.text.ptr + xf->text_sent,
                   x->result.text.len - xf->text_sent);
        xf->text_sent = x->result.text.len;
    }
}

static size_t write_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct rs_xfer *xf = ud;
    rs_exchange *x = xf->x;
    size_t n = size * nitems;
    if (x->ttfb_ms < 0)
        x->ttfb_ms = now_ms() - xf->t0;
    if (!xf->dec_on && x->req->stream && xf->status / 100 == 2 && x->dialect) {
        rs_stream_decoder_init(&xf->dec, x->dialect, &x->result, &x->pe);
        xf->dec_on = 1;
        xf->streaming = 1;
    }
    if (xf->streaming) {
        int rc = rs_stream_decoder_feed(&xf->dec, buf, n, &x->err);
        stream_progress(xf);
        if (rc != 0) {
            xf->write_rc = rc;
            return 0; /* abort: an error event or an undecodable stream ends the attempt */
        }
        return n;
    }
    if (xf->body.len + n > BODY_MAX) {
        xf->write_rc = rs_provider_fail(&x->pe, &x->err, RS_FAIL_DECODE, xf->status, -1,
                                        "%s: answer larger than %zu bytes", xf->host, BODY_MAX);
        return 0;
    }
    if (rs_str_append(&xf->body, buf, n) != 0) {
        xf->write_rc = rs_error_set(&x->err, RS_ENOMEM, "out of memory receiving an answer");
        return 0;
    }
    return n;
}

/* ---------- exchanges ---------- */

static void xfer_free(struct rs_xfer *xf)
{
    if (!xf)
        return;
    if (xf->dec_on)
        rs_stream_decoder_free(&xf->dec);
    curl_slist_free_all(xf->hdrs);
    rs_str_free(&xf->body);
    if (xf->easy) {
        if (xf->t && xf->t->pool.len < 256) {
            curl_easy_reset(xf->easy);
            if (rs_vec_push(&xf->t->pool, &xf->easy) != 0)
                curl_easy_cleanup(xf->easy);
        } else {
            curl_easy_cleanup(xf->easy);
        }
    }
    rs_free(xf);
}

/* "scheme://host[:port]" of url, without path or query (which could carry a key). */
static void url_host(char *out, size_t size, const char *url)
{
    const char *p = strstr(url, "://");
    const char *h = p ? p + 3 : url;
    size_t n = strcspn(h, "/?#");
    int w = snprintf(out, size, "%.*s%.*s", (int)(h - url), url, (int)n, h);
    if (w < 0 || (size_t)w >= size)
        snprintf(out, size, "(long URL)");
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (cc == CURLE_OK)                                                                        \
            cc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)

int rs_transport_add(rs_transport *t, rs_exchange *x, rs_error *err)
{
    int rc = 0;
    struct rs_xfer *xf = NULL;
    if (!x->req || !x->dialect)
        return rs_error_set(err, RS_EINVAL,
                            "rs_transport_add: exchange without request or dialect");
    xf = rs_calloc(1, sizeof *xf);
    if (!xf) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory starting a request");
        goto done;
    }
    xf->t = t;
    xf->x = x;
    rs_str_init(&xf->body, BODY_MAX);
    rs_retry_hint_init(&xf->hint);
    url_host(xf->host, sizeof xf->host, rs_str_cstr(&x->req->url));
    collect_secrets(xf, x->req);
    if (t->pool.len > 0)
        rs_vec_pop(&t->pool, &xf->easy);
    else
        xf->easy = curl_easy_init();
    if (!xf->easy) {
        rc = rs_error_set(err, RS_ENOMEM, "curl_easy_init failed");
        goto done;
    }
    for (size_t i = 0; i < x->req->headers.len; i++) {
        struct curl_slist *n = curl_slist_append(xf->hdrs, RS_VEC_AT(&x->req->headers, char *, i));
        if (!n) {
            rc = rs_error_set(err, RS_ENOMEM, "out of memory building request headers");
            goto done;
        }
        xf->hdrs = n;
    }
    /* No "Expect: 100-continue" round trip for large prompts. */
    struct curl_slist *n = curl_slist_append(xf->hdrs, "Expect:");
    if (!n) {
        rc = rs_error_set(err, RS_ENOMEM, "out of memory building request headers");
        goto done;
    }
    xf->hdrs = n;

    CURL *e = xf->easy;
    CURLcode cc = CURLE_OK;
    SETOPT(CURLOPT_URL, rs_str_cstr(&x->req->url));
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_POST, 1L);
    SETOPT(CURLOPT_POSTFIELDS, rs_str_cstr(&x->req->body));
    SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req->body.len);
    SETOPT(CURLOPT_HTTPHEADER, xf->hdrs);
    SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
    SETOPT(CURLOPT_WRITEDATA, xf);
    SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
    SETOPT(CURLOPT_HEADERDATA, xf);
    SETOPT(CURLOPT_ERRORBUFFER, xf->errbuf);
    SETOPT(CURLOPT_PRIVATE, xf);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, t->o.connect_timeout_ms);
    SETOPT(CURLOPT_TIMEOUT_MS, x->timeout_ms > 0 ? x->timeout_ms : 0L);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_TCP_NODELAY, 1L);
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_USERAGENT, "rosetta/" RS_VERSION);
    SETOPT(CURLOPT_HTTP_VERSION,
           t->o.http1_only ? (long)CURL_HTTP_VERSION_1_1 : (long)CURL_HTTP_VERSION_2TLS);
    /* Over TLS, prefer waiting for an HTTP/2 connection to opening another; plain http:// is
     * HTTP/1.1 and must not wait for a busy connection. */
    if (strncmp(rs_str_cstr(&x->req->url), "https://", 8) == 0)
        SETOPT(CURLOPT_PIPEWAIT, 1L);
    if (t->o.trace) {
        SETOPT(CURLOPT_DEBUGFUNCTION, debug_cb);
        SETOPT(CURLOPT_DEBUGDATA, xf);
        SETOPT(CURLOPT_VERBOSE, 1L);
    }
    if (cc != CURLE_OK) {
        rc = rs_error_set(err, RS_EHTTP, "setting up the request to %s: %s", xf->host,
                          curl_easy_strerror(cc));
        rs_error_set_cause(err, (int)cc);
        goto done;
    }
    xf->t0 = now_ms();
    CURLMcode mc = curl_multi_add_handle(t->multi, e);
    if (mc != CURLM_OK) {
        rc = rs_error_set(err, RS_EHTTP, "starting the request to %s: %s", xf->host,
                          curl_multi_strerror(mc));
        rs_error_set_cause(err, (int)mc);
        goto done;
    }
    x->priv = xf;
    xf = NULL;
    t->pending++;
    /* Send it now (its timer is due): a request added while a wave of answers is being
     * handled leaves before the rest are decoded. Inside curl (a write callback) the next
     * step runs the timer instead. A failure here is the multi handle's and step reports it. */
    if (!t->in_curl)
        (void)drive_timer(t);
done:
    xfer_free(xf);
    return rc;
}

void rs_transport_remove(rs_transport *t, rs_exchange *x)
{
    struct rs_xfer *xf = x->priv;
    if (!xf)
        return;
    curl_multi_remove_handle(t->multi, xf->easy);
    t->pending--;
    x->priv = NULL;
    xfer_free(xf);
    x->rc = rs_error_set(&x->err, RS_EINTERRUPTED, "request abandoned");
}

/* Translate curl's failure for xf into x's outputs, right after it was reported. */
static void fail_transfer(struct rs_xfer *xf, CURLcode cc)
{
    rs_exchange *x = xf->x;
    const char *why = xf->errbuf[0] ? xf->errbuf : curl_easy_strerror(cc);
    rs_fail_class cls = RS_FAIL_NETWORK;
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        cls = RS_FAIL_TIMEOUT;
        if (x->ttfb_ms < 0)
            why = "no answer before the attempt's timeout";
    } else if (xf->streaming) {
        cls = RS_FAIL_STREAM; /* the stream had started: it was cut */
    }
    x->rc = rs_provider_fail(&x->pe, &x->err, cls, xf->status, -1, "%s: %s (%s)", xf->host, why,
                             cls == RS_FAIL_STREAM ? "stream cut" : curl_easy_strerror(cc));
    rs_error_set_cause(&x->err, (int)cc);
}

static void finish_transfer(rs_transport *t, struct rs_xfer *xf, CURLcode cc)
{
    rs_exchange *x = xf->x;
    x->latency_ms = now_ms() - xf->t0;
    long code = 0, conns = 0, ver = 0;
    curl_easy_getinfo(xf->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(xf->easy, CURLINFO_NUM_CONNECTS, &conns);
    curl_easy_getinfo(xf->easy, CURLINFO_HTTP_VERSION, &ver);
    x->http_status = code > 0 ? (int)code : xf->status;
    x->reused_conn = conns == 0 && x->http_status != 0;
    snprintf(x->http_version, sizeof x->http_version, "%s",
             ver == CURL_HTTP_VERSION_2_0   ? "2"
             : ver == CURL_HTTP_VERSION_1_0 ? "1.0"
             : ver == CURL_HTTP_VERSION_1_1 ? "1.1"
                                            : "");
    x->should_retry = xf->hint.should_retry;
    x->retry_after_ms = rs_retry_hint_ms(&xf->hint, time(NULL));

    if (xf->write_rc != 0) {
        x->rc = xf->write_rc; /* pe and err were filled where it was seen */
    } else if (cc != CURLE_OK) {
        fail_transfer(xf, cc);
    } else if (x->http_status / 100 == 2) {
        if (xf->streaming) {
            x->rc = rs_stream_decoder_finish(&xf->dec, &x->err);
            stream_progress(xf);
        } else if (x->req->stream && xf->body.len == 0) {
            x->rc = rs_provider_fail(&x->pe, &x->err, RS_FAIL_STREAM, x->http_status, -1,
                                     "%s: empty stream", xf->host);
        } else {
            x->rc = x->dialect->decode(&x->result, &x->pe, rs_str_cstr(&xf->body), xf->body.len,
                                       &x->err);
            if (x->rc == 0 && x->on_text && x->result.text.len)
                x->on_text(x->text_ud, x->result.text.ptr, x->result.text.len);
        }
    } else {
        x->dialect->classify_error(&x->pe, x->http_status, rs_str_cstr(&xf->body), xf->body.len,
                                   x->retry_after_ms);
        x->rc = rs_error_set(&x->err, RS_EPROVIDER, "%s: %s", xf->host, x->pe.message);
    }
    if (x->rc == RS_EPROVIDER) {
        if (x->pe.http_status == 0)
            x->pe.http_status = x->http_status;
        if (x->pe.retry_after_ms < 0)
            x->pe.retry_after_ms = x->retry_after_ms;
    }
    if (x->rc == 0 && x->ttft_ms < 0)
        x->ttft_ms = x->ttfb_ms; /* non-streamed: the whole answer is the first token */
    curl_multi_remove_handle(t->multi, xf->easy);
    t->pending--;
    x->priv = NULL;
    xfer_free(xf);
    if (x->done)
        x->done(x, x->done_ud);
}

/* Run the `done` callbacks of finished transfers; returns how many finished. */
static int reap(rs_transport *t)
{
    int n = 0, left = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(t->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct rs_xfer *xf = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&xf);
        if (xf) {
            finish_transfer(t, xf, msg->data.result);
            n++;
        }
    }
    return n;
}

/* Hand every socket poll() found ready to curl, and hand back what each one completed before
 * reading the next (its `done` callback may start the next request at once). fds changes while
 * curl runs (socket_cb), so the ready ones are copied out first. */
static CURLMcode drive_ready(rs_transport *t, int nready)
{
    enum { BATCH = 64 };
    struct pollfd ready[BATCH];
    CURLMcode mc = CURLM_OK;
    if (t->fds[0].revents & POLLIN) {
        char drain[64];
        while (read(t->wake[0], drain, sizeof drain) > 0)
            ;
        nready--;
    }
    size_t i = 1;
    while (nready > 0 && i < t->nfds && mc == CURLM_OK) {
        size_t n = 0;
        for (; i < t->nfds && n < BATCH; i++)
            if (t->fds[i].revents)
                ready[n++] = t->fds[i];
        nready -= (int)n;
        for (size_t k = 0; k < n && mc == CURLM_OK; k++) {
            short re = ready[k].revents;
            int mask = (re & (POLLIN | POLLHUP) ? CURL_CSELECT_IN : 0) |
                       (re & POLLOUT ? CURL_CSELECT_OUT : 0) |
                       (re & (POLLERR | POLLNVAL) ? CURL_CSELECT_ERR : 0);
            mc = drive(t, ready[k].fd, mask);
            if (mc == CURLM_OK)
                reap(t);
        }
        if (n < BATCH)
            break;
    }
    return mc;
}

int rs_transport_step(rs_transport *t, long wait_ms, rs_error *err)
{
    CURLMcode mc = drive_timer(t);
    /* Completions first: never sleep in poll while finished work waits to be handed back. */
    if (mc == CURLM_OK && reap(t) > 0)
        wait_ms = 0;
    if (mc == CURLM_OK) {
        /* With nothing in flight the poll still sleeps until wait_ms or rs_transport_wakeup. */
        long timeout = wait_ms > 60000 ? 60000 : wait_ms < 0 ? 0 : wait_ms;
        if (t->timer_at >= 0) {
            double due = t->timer_at - now_ms();
            long due_ms = due <= 0 ? 0 : (long)(due + 0.999);
            if (due_ms < timeout)
                timeout = due_ms;
        }
        for (size_t i = 0; i < t->nfds; i++)
            t->fds[i].revents = 0;
        int nready = poll(t->fds, (nfds_t)t->nfds, (int)timeout);
        if (nready < 0 && errno != EINTR) {
            int rc = rs_error_set(err, RS_EHTTP, "HTTP engine: poll: %s", strerror(errno));
            rs_error_set_cause(err, errno);
            return rc;
        }
        if (nready > 0)
            mc = drive_ready(t, nready);
        if (mc == CURLM_OK)
            mc = drive_timer(t);
        if (mc == CURLM_OK)
            reap(t);
    }
    if (mc != CURLM_OK) {
        int rc = rs_error_set(err, RS_EHTTP, "HTTP engine: %s", curl_multi_strerror(mc));
        rs_error_set_cause(err, (int)mc);
        return rc;
    }
    return (int)t->pending;
}

size_t rs_transport_pending(const rs_transport *t)
{
    return t->pending;
}

void rs_transport_wakeup(rs_transport *t)
{
    char one = 1;
    ssize_t n = write(t->wake[1], &one, 1); /* full pipe (EAGAIN): a wake-up is pending anyway */
    (void)n;
}

int rs_transport_perform(rs_transport *t, rs_exchange *x, volatile const sig_atomic_t *cancel)
{
    rs_exchange_done_fn saved = x->done;
    x->done = NULL; /* the blocking caller reads the outputs itself */
    int rc = rs_transport_add(t, x, &x->err);
    if (rc != 0) {
        x->rc = rc;
        goto done;
    }
    while (x->priv) {
        if (cancel && *cancel) {
            rs_transport_remove(t, x);
            break;
        }
        rc = rs_transport_step(t, 100, &x->err);
        if (rc < 0) {
            rs_transport_remove(t, x);
            x->rc = rc;
            break;
        }
    }
done:
    x->done = saved;
    return x->rc;
}
