/*
 * tests/fakes/fake_provider.c - a fake LLM provider server for the runner's tests and benchmark.
 *
 * One process, one thread, poll(): HTTP/1.1 with keep-alive on 127.0.0.1 only, and a bounded
 * lifetime (--lifetime, default 300 s) so a test that dies never leaves it running. It speaks
 * each dialect's wire format, chosen from the request path:
 *   .../chat/completions                    OpenAI Chat Completions (and the compatible services)
 *   .../responses                           OpenAI Responses
 *   .../messages                            Anthropic Messages
 *   ...:generateContent / :streamGenerateContent   Gemini
 *   .../api/chat                            Ollama (NDJSON streams; streams unless "stream":false)
 * A request streams when its body says "stream":true (Gemini: the streaming path).
 *
 * Faults are scripted per request. A script is one line of comma-separated directives:
 *   ok                        a normal answer (the default)
 *   status:N                  answer N with the dialect's error body (429 rate limit, 529, 5xx,
 * 4xx) quota                     429 that must not be retried (OpenAI insufficient_quota and
 * friends) retry-after:S             Retry-After: S (seconds)          retry-after-date:S  the same
 * as an HTTP date retry-after-ms:N          retry-after-ms: N                  retryinfo:S  Gemini
 * RetryInfo "Ss" in the body should-retry:true|false   x-should-retry header malformed 200 with a
 * body that is not JSON (or a broken stream event) cut                       a stream cut in the
 * middle of an event (connection closed) error-event               an error event inside a 200
 * stream slow:MS                   wait MS before the first byte      latency:MS  a fixed latency
 *   reset                     close the connection with a TCP reset, no answer
 *   text:WORDS                answer these words (no commas)
 * The script of a request comes from, in order: the queue (POST /_fake/script, one line per
 * request, or --script FILE at start-up), the request's x-fake-script header, else "ok". Control:
 * POST /_fake/script (append lines), POST /_fake/reset (clear queue and counters), GET /_fake/stats
 * ({"requests":N,"keyed":K,"log":["dialect status", ...]}), POST /_fake/quit. "keyed" counts
 * requests that carried an auth header, without ever storing its value.
 *
 * usage: fake_provider [--port N] [--port-file F] [--lifetime S] [--latency MS] [--script F]
 * The chosen port is printed on stdout (one line) and written to --port-file atomically.
 *
 * Latencies are kept in microseconds and waited for with ppoll's nanosecond timeout: with
 * milliseconds (poll) every answer came up to ~1 ms late, which the runner's benchmark counts
 * against the client (2,000 calls of 50 ms at concurrency 64 are 32 rounds: 0.5 ms each is 1 %).
 * A latency counts from the request's arrival (the kernel's receive timestamp, SO_TIMESTAMPNS),
 * as a provider's would, not from when this one thread got round to reading it.
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_REQUEST (4 * 1024 * 1024)
#define MAX_QUEUE 4096
#define LOG_KEEP 256

/* ---------- a small growable buffer (the fake is standalone: no library code) ---------- */

typedef struct buf {
    char *p;
    size_t len, cap;
} buf;

static int buf_add(buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *np = realloc(b->p, cap);
        if (!np)
            return -1;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

static int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int buf_printf(buf *b, const char *fmt, ...)
{
    char small[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return -1;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = buf_add(b, big, (size_t)n);
    free(big);
    return rc;
}

static void buf_consume(buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
    if (b->p)
        b->p[b->len] = '\0';
}

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---------- scripts ---------- */

typedef struct script {
    int status; /* 0 = success */
    int quota;
    long retry_after_s; /* -1 = none */
    long retry_after_date_s;
    long retry_after_ms;
    long retryinfo_s;
    int should_retry; /* -1 none, 0 false, 1 true */
    int malformed, cut, error_event, reset;
    long slow_ms, latency_ms;
    char text[256];
} script;

static long parse_long(const char *s, long dflt)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s)
        return dflt;
    return v;
}

static void script_parse(script *sc, const char *line, long default_latency)
{
    memset(sc, 0, sizeof *sc);
    sc->retry_after_s = sc->retry_after_date_s = sc->retry_after_ms = sc->retryinfo_s = -1;
    sc->should_retry = -1;
    sc->latency_ms = default_latency;
    const char *p = line;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char item[300];
        if (n >= sizeof item)
            n = sizeof item - 1;
        memcpy(item, p, n);
        item[n] = '\0';
        while (n && (item[n - 1] == ' ' || item[n - 1] == '\r' || item[n - 1] == '\n'))
            item[--n] = '\0';
        char *it = item;
        while (*it == ' ')
            it++;
        char *val = strchr(it, ':');
        if (val)
            *val++ = '\0';
        if (strcmp(it, "status") == 0 && val)
            sc->status = (int)parse_long(val, 500);
        else if (strcmp(it, "quota") == 0) {
            sc->status = 429;
            sc->quota = 1;
        } else if (strcmp(it, "retry-after") == 0 && val)
            sc->retry_after_s = parse_long(val, 1);
        else if (strcmp(it, "retry-after-date") == 0 && val)
            sc->retry_after_date_s = parse_long(val, 1);
        else if (strcmp(it, "retry-after-ms") == 0 && val)
            sc->retry_after_ms = parse_long(val, 100);
        else if (strcmp(it, "retryinfo") == 0 && val)
            sc->retryinfo_s = parse_long(val, 1);
        else if (strcmp(it, "should-retry") == 0 && val)
            sc->should_retry = strcmp(val, "true") == 0;
        else if (strcmp(it, "malformed") == 0)
            sc->malformed = 1;
        else if (strcmp(it, "cut") == 0)
            sc->cut = 1;
        else if (strcmp(it, "error-event") == 0)
            sc->error_event = 1;
        else if (strcmp(it, "reset") == 0)
            sc->reset = 1;
        else if (strcmp(it, "slow") == 0 && val)
            sc->slow_ms = parse_long(val, 0);
        else if (strcmp(it, "latency") == 0 && val)
            sc->latency_ms = parse_long(val, 0);
        else if (strcmp(it, "text") == 0 && val)
            snprintf(sc->text, sizeof sc->text, "%s", val);
        p = end ? end + 1 : p + strlen(p);
    }
}

/* ---------- server state ---------- */

enum dialect { D_OPENAI, D_RESPONSES, D_ANTHROPIC, D_GEMINI, D_OLLAMA, D_CONTROL, D_UNKNOWN };
static const char *const dialect_names[] = {"openai", "responses", "anthropic", "gemini",
                                            "ollama", "control",   "unknown"};

enum cstate { C_READ, C_WAIT, C_WRITE };

typedef struct conn {
    int fd;
    enum cstate st;
    buf in, out;
    size_t out_off;
    long long ready_at; /* C_WAIT: when to start writing (microseconds, monotonic) */
    int close_after;    /* close once out is written */
    int reset_now;      /* C_WAIT: reset instead of answering */
    long long arrived;  /* when the first bytes of the request in `in` arrived (us, monotonic) */
} conn;

typedef struct server {
    int lfd;
    conn *conns[MAX_CONNS];
    size_t nconns;
    char *queue[MAX_QUEUE];
    size_t qhead, qlen;
    long default_latency;
    long requests, keyed;
    char log[LOG_KEEP][48];
    size_t nlog;
    int quit;
} server;

static int queue_push(server *s, const char *line, size_t n)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
        n--;
    if (n == 0 || line[0] == '#')
        return 0;
    if (s->qlen == MAX_QUEUE)
        return -1;
    char *c = malloc(n + 1);
    if (!c)
        return -1;
    memcpy(c, line, n);
    c[n] = '\0';
    s->queue[(s->qhead + s->qlen) % MAX_QUEUE] = c;
    s->qlen++;
    return 0;
}

static void queue_lines(server *s, const char *text, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (text + i)) : len - i;
        queue_push(s, text + i, n);
        i += n + 1;
    }
}

static char *queue_pop(server *s)
{
    if (s->qlen == 0)
        return NULL;
    char *c = s->queue[s->qhead];
    s->qhead = (s->qhead + 1) % MAX_QUEUE;
    s->qlen--;
    return c;
}

static void queue_clear(server *s)
{
    char *c;
    while ((c = queue_pop(s)) != NULL)
        free(c);
}

/* ---------- answers per dialect ---------- */

static const char *status_text(int st)
{
    switch (st) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 408:
        return "Request Timeout";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 529:
        return "Overloaded";
    default:
        return "Status";
    }
}

static void http_date(char *out, size_t n, long from_now_s)
{
    time_t t = time(NULL) + from_now_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* The provider's error body for status st. */
static void error_body(buf *b, enum dialect d, const script *sc)
{
    int st = sc->status;
    const char *oa_code = st == 429   ? (sc->quota ? "insufficient_quota" : "rate_limit_exceeded")
                          : st == 401 ? "invalid_api_key"
                                      : "server_error";
    const char *an_type = st == 429   ? "rate_limit_error"
                          : st == 529 ? "overloaded_error"
                          : st == 401 ? "authentication_error"
                          : st == 400 ? "invalid_request_error"
                          : st >= 500 ? "api_error"
                                      : "invalid_request_error";
    const char *g_status = st == 429   ? "RESOURCE_EXHAUSTED"
                           : st == 400 ? "INVALID_ARGUMENT"
                           : st == 401 ? "UNAUTHENTICATED"
                           : st == 503 ? "UNAVAILABLE"
                           : st == 504 ? "DEADLINE_EXCEEDED"
                                       : "INTERNAL";
    switch (d) {
    case D_ANTHROPIC:
        if (sc->quota)
            buf_printf(
                b, "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":"
                   "\"spend limit\",\"details\":{\"error_code\":\"enforced_spend_limit_reached\"}},"
                   "\"request_id\":\"req_fake\"}");
        else
            buf_printf(b,
                       "{\"type\":\"error\",\"error\":{\"type\":\"%s\",\"message\":\"fake %d\"},"
                       "\"request_id\":\"req_fake\"}",
                       an_type, st);
        break;
    case D_GEMINI:
        buf_printf(b, "{\"error\":{\"code\":%d,\"message\":\"fake %d\",\"status\":\"%s\"", st, st,
                   g_status);
        if (sc->retryinfo_s >= 0)
            buf_printf(b,
                       ",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.RetryInfo\","
                       "\"retryDelay\":\"%lds\"}]",
                       sc->retryinfo_s);
        buf_printf(b, "}}");
        break;
    case D_OLLAMA:
        buf_printf(b, "{\"error\":\"fake %d\"}", st);
        break;
    default:
        buf_printf(b,
                   "{\"error\":{\"message\":\"fake %d\",\"type\":\"%s\",\"param\":null,"
                   "\"code\":\"%s\"}}",
                   st, sc->quota ? "insufficient_quota" : "requests", oa_code);
        break;
    }
}

/* The answer's words: the script's text, else a fixed sentence naming the dialect. */
static void answer_words(char *out, size_t n, enum dialect d, const script *sc)
{
    if (sc->text[0])
        snprintf(out, n, "%s", sc->text);
    else
        snprintf(out, n, "Hello from the fake %s.", dialect_names[d]);
}

static void full_body(buf *b, enum dialect d, const char *model, const char *text)
{
    switch (d) {
    case D_OPENAI:
        buf_printf(
            b,
            "{\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion\",\"created\":1,"
            "\"model\":\"%s\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            "\"content\":\"%s\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,"
            "\"completion_tokens\":5,\"total_tokens\":17}}",
            model, text);
        break;
    case D_RESPONSES:
        buf_printf(b,
                   "{\"id\":\"resp_fake\",\"object\":\"response\",\"status\":\"completed\","
                   "\"model\":\"%s\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\","
                   "\"content\":[{\"type\":\"output_text\",\"text\":\"%s\"}]}],\"usage\":"
                   "{\"input_tokens\":12,\"output_tokens\":5,\"total_tokens\":17}}",
                   model, text);
        break;
    case D_ANTHROPIC:
        buf_printf(
            b,
            "{\"id\":\"msg_fake\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\","
            "\"content\":[{\"type\":\"text\",\"text\":\"%s\"}],\"stop_reason\":\"end_turn\","
            "\"stop_sequence\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":5}}",
            model, text);
        break;
    case D_GEMINI:
        buf_printf(
            b,
            "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"%s\"}]},"
            "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":12,"
            "\"candidatesTokenCount\":5,\"totalTokenCount\":17},\"modelVersion\":\"%s\"}",
            text, model);
        break;
    case D_OLLAMA:
        buf_printf(
            b,
            "{\"model\":\"%s\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
            "\"assistant\",\"content\":\"%s\"},\"done\":true,\"done_reason\":\"stop\","
            "\"prompt_eval_count\":12,\"eval_count\":5}",
            model, text);
        break;
    default:
        buf_printf(b, "{}");
        break;
    }
}

/* One stream event carrying a text delta. */
static void delta_event(buf *b, enum dialect d, const char *model, const char *piece, int first)
{
    switch (d) {
    case D_OPENAI:
        buf_printf(
            b,
            "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{%s\"content\":\"%s\"},"
            "\"finish_reason\":null}]}\n\n",
            model, first ? "\"role\":\"assistant\"," : "", piece);
        break;
    case D_RESPONSES:
        buf_printf(
            b,
            "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
            "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"%s\","
            "\"sequence_number\":3}\n\n",
            piece);
        break;
    case D_ANTHROPIC:
        buf_printf(
            b,
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}\n\n",
            piece);
        break;
    case D_GEMINI:
        buf_printf(
            b,
            "data: "
            "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"%s\"}]},"
            "\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":12,\"totalTokenCount\":12},"
            "\"modelVersion\":\"%s\"}\r\n\r\n",
            piece, model);
        break;
    case D_OLLAMA:
        buf_printf(
            b,
            "{\"model\":\"%s\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
            "\"assistant\",\"content\":\"%s\"},\"done\":false}\n",
            model, piece);
        break;
    default:
        break;
    }
}

static void stream_head(buf *b, enum dialect d, const char *model)
{
    if (d == D_RESPONSES)
        buf_printf(
            b,
            "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
            "\"response\":{\"id\":\"resp_fake\",\"status\":\"in_progress\",\"model\":\"%s\","
            "\"output\":[]}}\n\n",
            model);
    else if (d == D_ANTHROPIC)
        buf_printf(
            b,
            "event: message_start\ndata: "
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_fake\","
            "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":[],"
            "\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n"
            ": a comment line\n\nevent: ping\ndata: {\"type\":\"ping\"}\n\n"
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
            model);
    else if (d == D_OPENAI)
        buf_printf(b, ": keep-alive\n\n");
}

static void stream_tail(buf *b, enum dialect d, const char *model, const char *text)
{
    switch (d) {
    case D_OPENAI:
        buf_printf(
            b,
            "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            "\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
            "\n\n"
            "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            "\"model\":\"%s\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":"
            "5,"
            "\"total_tokens\":17}}\n\ndata: [DONE]\n\n",
            model, model);
        break;
    case D_RESPONSES:
        buf_printf(
            b,
            "event: response.completed\ndata: "
            "{\"type\":\"response.completed\",\"sequence_number\":9,"
            "\"response\":{\"id\":\"resp_fake\",\"status\":\"completed\",\"model\":\"%s\","
            "\"output\":"
            "[{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\","
            "\"text\":\"%s\"}]}],\"usage\":{\"input_tokens\":12,\"output_tokens\":5,"
            "\"total_tokens\":17}}}\n\n",
            model, text);
        break;
    case D_ANTHROPIC:
        buf_printf(
            b, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
               "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
               "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n"
               "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
        break;
    case D_GEMINI:
        buf_printf(
            b,
            "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"\"}]},"
            "\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":12,"
            "\"candidatesTokenCount\":5,\"totalTokenCount\":17},\"modelVersion\":\"%s\"}\r\n\r\n",
            model);
        break;
    case D_OLLAMA:
        buf_printf(
            b,
            "{\"model\":\"%s\",\"created_at\":\"2025-01-01T00:00:00Z\",\"message\":{\"role\":"
            "\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\","
            "\"prompt_eval_count\":12,\"eval_count\":5}\n",
            model);
        break;
    default:
        break;
    }
}

static void error_event(buf *b, enum dialect d)
{
    switch (d) {
    case D_ANTHROPIC:
        buf_printf(
            b, "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
               "\"message\":\"Overloaded\"}}\n\n");
        break;
    case D_RESPONSES:
        buf_printf(b,
                   "event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":"
                   "\"fake stream error\",\"param\":null,\"sequence_number\":4}\n\n");
        break;
    case D_GEMINI:
        buf_printf(b, "data: {\"error\":{\"code\":503,\"message\":\"fake stream error\",\"status\":"
                      "\"UNAVAILABLE\"}}\r\n\r\n");
        break;
    case D_OLLAMA:
        buf_printf(b, "{\"error\":\"fake stream error\"}\n");
        break;
    default:
        buf_printf(b, "data: {\"error\":{\"code\":502,\"message\":\"fake stream error\"},"
                      "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}]}\n\n");
        break;
    }
}

/* Wrap (s, n) as one HTTP/1.1 chunk. */
static void chunk(buf *out, const char *s, size_t n)
{
    if (n == 0)
        return;
    buf_printf(out, "%zx\r\n", n);
    buf_add(out, s, n);
    buf_add(out, "\r\n", 2);
}

/* Build the whole streamed answer as chunks into out; a cut leaves the last event half-sent
 * and no terminating chunk. */
static void stream_answer(buf *out, enum dialect d, const char *model, const script *sc)
{
    char text[256];
    answer_words(text, sizeof text, d, sc);
    buf ev = {0};
    stream_head(&ev, d, model);
    chunk(out, ev.p, ev.len);
    ev.len = 0;
    /* Three deltas: split at the first two spaces. */
    const char *p = text;
    for (int i = 0; i < 3 && *p; i++) {
        const char *sp = i < 2 ? strchr(p + 1, ' ') : NULL;
        size_t n = sp ? (size_t)(sp - p) : strlen(p);
        char piece[256];
        snprintf(piece, sizeof piece, "%.*s", (int)n, p);
        delta_event(&ev, d, model, piece, i == 0);
        chunk(out, ev.p, ev.len);
        ev.len = 0;
        p += n;
        if (i == 0 && sc->error_event) {
            error_event(&ev, d);
            chunk(out, ev.p, ev.len);
            ev.len = 0;
        }
        if (i == 0 && sc->malformed) {
            buf_printf(&ev, d == D_OLLAMA ? "{\"message\": {\"content\": tru\n"
                                          : "data: {\"choices\": [{\"delta\": tru\n\n");
            chunk(out, ev.p, ev.len);
            ev.len = 0;
        }
        if (i == 0 && sc->cut) {
            delta_event(&ev, d, model, "never", 0);
            chunk(out, ev.p, ev.len / 2);
            free(ev.p);
            return;
        }
    }
    stream_tail(&ev, d, model, text);
    chunk(out, ev.p, ev.len);
    buf_add(out, "0\r\n\r\n", 5);
    free(ev.p);
}

/* ---------- HTTP ---------- */

static const char *find_header(const char *head, size_t head_len, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = head;
    const char *end = head + head_len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

static enum dialect dialect_of(const char *path)
{
    if (strncmp(path, "/_fake/", 7) == 0)
        return D_CONTROL;
    if (strstr(path, ":generateContent") || strstr(path, ":streamGenerateContent"))
        return D_GEMINI;
    if (strstr(path, "/chat/completions"))
        return D_OPENAI;
    if (strstr(path, "/api/chat"))
        return D_OLLAMA;
    if (strstr(path, "/responses"))
        return D_RESPONSES;
    if (strstr(path, "/messages"))
        return D_ANTHROPIC;
    return D_UNKNOWN;
}

/* "model" of the request body, or from Gemini's path; "fake-model" when absent. */
static void model_of(char *out, size_t n, enum dialect d, const char *path, const char *body)
{
    snprintf(out, n, "fake-model");
    if (d == D_GEMINI) {
        const char *m = strstr(path, "/models/");
        const char *c = m ? strchr(m, ':') : NULL;
        if (m && c)
            snprintf(out, n, "%.*s", (int)(c - (m + 8)), m + 8);
        return;
    }
    const char *k = strstr(body, "\"model\"");
    if (!k)
        return;
    k = strchr(k + 7, '"');
    const char *e = k ? strchr(k + 1, '"') : NULL;
    if (k && e && (size_t)(e - k - 1) < n && !memchr(k + 1, '\\', (size_t)(e - k - 1)))
        snprintf(out, n, "%.*s", (int)(e - k - 1), k + 1);
}

/* Does the body ask for a stream? Whitespace-tolerant look for "stream" : true/false. */
static int body_stream(const char *body, int dflt)
{
    const char *k = strstr(body, "\"stream\"");
    if (!k)
        return dflt;
    k += 8;
    while (*k == ' ' || *k == ':' || *k == '\n' || *k == '\t')
        k++;
    if (strncmp(k, "true", 4) == 0)
        return 1;
    if (strncmp(k, "false", 5) == 0)
        return 0;
    return dflt;
}

static void simple_response(conn *c, int status, const char *ctype, const char *body)
{
    buf_printf(&c->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n\r\n%s",
               status, status_text(status), ctype, strlen(body), body);
}

static void control(server *s, conn *c, const char *method, const char *path, const char *body,
                    size_t blen)
{
    if (strcmp(path, "/_fake/script") == 0 && strcmp(method, "POST") == 0) {
        queue_lines(s, body, blen);
        simple_response(c, 200, "application/json", "{\"ok\":true}");
    } else if (strcmp(path, "/_fake/reset") == 0) {
        queue_clear(s);
        s->requests = s->keyed = 0;
        s->nlog = 0;
        simple_response(c, 200, "application/json", "{\"ok\":true}");
    } else if (strcmp(path, "/_fake/stats") == 0) {
        buf b = {0};
        buf_printf(&b, "{\"requests\":%ld,\"keyed\":%ld,\"queued\":%zu,\"log\":[", s->requests,
                   s->keyed, s->qlen);
        for (size_t i = 0; i < s->nlog && i < LOG_KEEP; i++)
            buf_printf(&b, "%s\"%s\"", i ? "," : "", s->log[i]);
        buf_printf(&b, "]}");
        simple_response(c, 200, "application/json", b.p ? b.p : "{}");
        free(b.p);
    } else if (strcmp(path, "/_fake/quit") == 0) {
        simple_response(c, 200, "application/json", "{\"ok\":true}");
        s->quit = 1;
    } else {
        simple_response(c, 404, "application/json", "{\"error\":\"unknown control\"}");
    }
}

/*
 * A complete request is in c->in (head_len bytes of head, then blen of body): build the answer
 * into c->out and decide when it may be sent.
 */
static void handle(server *s, conn *c, size_t head_len, size_t blen)
{
    char *head = c->in.p;
    const char *body = head + head_len;
    char method[16] = "", path[1024] = "";
    const char *sp1 = memchr(head, ' ', head_len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', head_len - (size_t)(sp1 + 1 - head)) : NULL;
    if (sp1 && sp2 && (size_t)(sp1 - head) < sizeof method &&
        (size_t)(sp2 - sp1 - 1) < sizeof path) {
        memcpy(method, head, (size_t)(sp1 - head));
        memcpy(path, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    }
    size_t vl = 0;
    const char *conn_h = find_header(head, head_len, "Connection", &vl);
    if (conn_h && vl == 5 && strncasecmp(conn_h, "close", 5) == 0)
        c->close_after = 1;
    /* The body is not NUL-terminated inside in; copy it. */
    char *b = malloc(blen + 1);
    if (!b) {
        c->close_after = 1;
        return;
    }
    memcpy(b, body, blen);
    b[blen] = '\0';

    enum dialect d = dialect_of(path);
    if (d == D_CONTROL) {
        control(s, c, method, path, b, blen);
        c->st = C_WRITE;
        free(b);
        return;
    }
    s->requests++;
    if (find_header(head, head_len, "Authorization", &vl) ||
        find_header(head, head_len, "x-api-key", &vl) ||
        find_header(head, head_len, "x-goog-api-key", &vl))
        s->keyed++;

    char *queued = queue_pop(s);
    char line[512] = "ok";
    const char *hs = find_header(head, head_len, "x-fake-script", &vl);
    if (queued)
        snprintf(line, sizeof line, "%s", queued);
    else if (hs)
        snprintf(line, sizeof line, "%.*s", (int)(vl < sizeof line ? vl : sizeof line - 1), hs);
    free(queued);
    script sc;
    script_parse(&sc, line, s->default_latency);

    int stream = d == D_GEMINI ? strstr(path, ":streamGenerateContent") != NULL
                               : body_stream(b, d == D_OLLAMA);
    char model[128];
    model_of(model, sizeof model, d, path, b);
    free(b);

    if (s->nlog < LOG_KEEP)
        snprintf(s->log[s->nlog++], sizeof s->log[0], "%s %d%s", dialect_names[d],
                 sc.status ? sc.status : 200, stream ? " stream" : "");

    c->st = C_WAIT;
    c->ready_at = (c->arrived ? c->arrived : now_us()) + (sc.latency_ms + sc.slow_ms) * 1000;
    if (sc.reset) {
        c->reset_now = 1;
        return;
    }
    buf hdr = {0}, bd = {0};
    if (d == D_UNKNOWN) {
        simple_response(c, 404, "application/json", "{\"error\":\"no such endpoint\"}");
        return;
    }
    if (sc.status) {
        error_body(&bd, d, &sc);
        buf_printf(&hdr, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n", sc.status,
                   status_text(sc.status));
    } else {
        buf_printf(&hdr, "HTTP/1.1 200 OK\r\n");
    }
    if (sc.retry_after_s >= 0)
        buf_printf(&hdr, "Retry-After: %ld\r\n", sc.retry_after_s);
    if (sc.retry_after_date_s >= 0) {
        char date[64];
        http_date(date, sizeof date, sc.retry_after_date_s);
        buf_printf(&hdr, "Retry-After: %s\r\n", date);
    }
    if (sc.retry_after_ms >= 0)
        buf_printf(&hdr, "retry-after-ms: %ld\r\n", sc.retry_after_ms);
    if (sc.should_retry >= 0)
        buf_printf(&hdr, "x-should-retry: %s\r\n", sc.should_retry ? "true" : "false");
    buf_printf(&hdr, "x-request-id: req_fake_%ld\r\n", s->requests);

    if (sc.status) {
        buf_printf(&hdr, "Content-Length: %zu\r\n\r\n", bd.len);
        buf_add(&c->out, hdr.p, hdr.len);
        buf_add(&c->out, bd.p ? bd.p : "", bd.len);
    } else if (stream) {
        buf_printf(&hdr, "Content-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                   d == D_OLLAMA ? "application/x-ndjson" : "text/event-stream");
        buf_add(&c->out, hdr.p, hdr.len);
        stream_answer(&c->out, d, model, &sc);
        if (sc.cut)
            c->close_after = 1;
    } else {
        char text[256];
        answer_words(text, sizeof text, d, &sc);
        if (sc.malformed)
            buf_printf(&bd, "{\"choices\": [{\"message\": {\"content\": \"Hel");
        else
            full_body(&bd, d, model, text);
        buf_printf(&hdr, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", bd.len);
        buf_add(&c->out, hdr.p, hdr.len);
        buf_add(&c->out, bd.p, bd.len);
    }
    free(hdr.p);
    free(bd.p);
}

/* Is a whole request in c->in? Returns 1 and the sizes, 0 when more is needed, -1 when bad. */
static int request_complete(conn *c, size_t *head_len, size_t *blen)
{
    if (c->in.len == 0)
        return 0;
    char *e = strstr(c->in.p, "\r\n\r\n");
    if (!e)
        return c->in.len > 65536 ? -1 : 0;
    *head_len = (size_t)(e - c->in.p) + 4;
    size_t vl = 0;
    const char *cl = find_header(c->in.p, *head_len, "Content-Length", &vl);
    long n = cl ? parse_long(cl, -1) : 0;
    if (n < 0 || n > MAX_REQUEST)
        return -1;
    *blen = (size_t)n;
    return c->in.len >= *head_len + *blen ? 1 : 0;
}

static void conn_close(server *s, size_t i, int reset)
{
    conn *c = s->conns[i];
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(c->fd);
    free(c->in.p);
    free(c->out.p);
    free(c);
    s->conns[i] = s->conns[--s->nconns];
}

/* Read what is there; handle a complete request. Returns -1 when the connection should close. */
/* read() that also gives when the bytes arrived (monotonic us; 0 when the kernel gave no stamp):
 * the receive timestamp is on the real-time clock, so it is moved to the monotonic one. */
static ssize_t read_stamped(int fd, char *dst, size_t size, long long *arrived)
{
    struct iovec iov = {dst, size};
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(struct timespec))];
    } ctl;
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.space;
    mh.msg_controllen = sizeof ctl.space;
    ssize_t n = recvmsg(fd, &mh, 0);
    *arrived = 0;
    for (struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
            struct timespec at, real;
            memcpy(&at, CMSG_DATA(cm), sizeof at);
            clock_gettime(CLOCK_REALTIME, &real);
            long long ago =
                ((long long)real.tv_sec - at.tv_sec) * 1000000 + (real.tv_nsec - at.tv_nsec) / 1000;
            if (ago >= 0 && ago < 1000000) /* a clock step makes it meaningless: ignore */
                *arrived = now_us() - ago;
        }
    }
    return n;
}

static int on_readable(server *s, conn *c)
{
    char tmp[16384];
    for (;;) {
        long long at = 0;
        ssize_t n = read_stamped(c->fd, tmp, sizeof tmp, &at);
        if (n > 0) {
            if (c->in.len == 0) /* a new request starts here */
                c->arrived = at;
            if (buf_add(&c->in, tmp, (size_t)n) != 0)
                return -1;
            continue;
        }
        if (n == 0)
            return -1;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            break;
        return -1;
    }
    size_t head_len = 0, blen = 0;
    int rc = request_complete(c, &head_len, &blen);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        handle(s, c, head_len, blen);
        buf_consume(&c->in, head_len + blen);
        c->arrived = 0; /* a pipelined request behind it: counted from now */
    }
    return 0;
}

static int on_writable(conn *c)
{
    while (c->out_off < c->out.len) {
        ssize_t n = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    c->out.len = c->out_off = 0;
    if (c->close_after)
        return -1;
    c->st = C_READ;
    return 0;
}

static void accept_all(server *s)
{
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return;
        if (s->nconns == MAX_CONNS) {
            close(fd);
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
        conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->st = C_READ;
        s->conns[s->nconns++] = c;
    }
}

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0)
        return -1;
    return rename(tmp, path);
}

int main(int argc, char **argv)
{
    int port = 0;
    long lifetime = 300;
    const char *port_file = NULL, *script_file = NULL;
    server s;
    memset(&s, 0, sizeof s);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--port") == 0 && v)
            port = (int)parse_long(argv[++i], 0);
        else if (strcmp(a, "--port-file") == 0 && v)
            port_file = argv[++i];
        else if (strcmp(a, "--lifetime") == 0 && v)
            lifetime = parse_long(argv[++i], 300);
        else if (strcmp(a, "--latency") == 0 && v)
            s.default_latency = parse_long(argv[++i], 0);
        else if (strcmp(a, "--script") == 0 && v)
            script_file = argv[++i];
        else {
            fprintf(stderr, "usage: fake_provider [--port N] [--port-file F] [--lifetime S] "
                            "[--latency MS] [--script F]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    if (script_file) {
        FILE *f = fopen(script_file, "r");
        if (!f) {
            perror(script_file);
            return 1;
        }
        char line[512];
        while (fgets(line, sizeof line, f))
            queue_push(&s, line, strcspn(line, "\n"));
        fclose(f);
    }
    s.lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only, never another interface */
    if (s.lfd < 0 || bind(s.lfd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(s.lfd, 512) != 0) {
        perror("fake_provider: listen");
        return 1;
    }
    socklen_t al = sizeof addr;
    getsockname(s.lfd, (struct sockaddr *)&addr, &al);
    port = ntohs(addr.sin_port);
    fcntl(s.lfd, F_SETFL, fcntl(s.lfd, F_GETFL) | O_NONBLOCK);
    printf("%d\n", port);
    fflush(stdout);
    if (port_file && write_port_file(port_file, port) != 0) {
        perror(port_file);
        return 1;
    }

    long long deadline = now_us() + lifetime * 1000000;
    static struct pollfd pfd[MAX_CONNS + 1];
    while (!s.quit && now_us() < deadline) {
        long long now = now_us();
        long long wait = deadline - now;
        pfd[0].fd = s.lfd;
        pfd[0].events = POLLIN;
        for (size_t i = 0; i < s.nconns; i++) {
            conn *c = s.conns[i];
            pfd[i + 1].fd = c->fd;
            pfd[i + 1].events = c->st == C_READ ? POLLIN : c->st == C_WRITE ? POLLOUT : 0;
            pfd[i + 1].revents = 0;
            if (c->st == C_WAIT && c->ready_at - now < wait)
                wait = c->ready_at - now > 0 ? c->ready_at - now : 0;
        }
        size_t n = s.nconns;
        if (wait > 1000000)
            wait = 1000000;
        struct timespec ts = {(time_t)(wait / 1000000), (long)(wait % 1000000) * 1000};
        int pr = ppoll(pfd, n + 1, &ts, NULL);
        if (pr < 0 && errno != EINTR)
            break;
        now = now_us();
        /* Walk backwards: closing swaps the last connection into slot i. */
        for (size_t k = n; k-- > 0;) {
            conn *c = s.conns[k];
            int bad = 0;
            if (c->st == C_WAIT && c->ready_at <= now) {
                if (c->reset_now) {
                    conn_close(&s, k, 1);
                    continue;
                }
                c->st = C_WRITE;
                bad = on_writable(c) < 0;
            } else if (pr > 0 && (pfd[k + 1].revents & (POLLERR | POLLHUP)) && c->st != C_WAIT) {
                bad = 1;
            } else if (pr > 0 && (pfd[k + 1].revents & POLLIN) && c->st == C_READ) {
                bad = on_readable(&s, c) < 0;
                if (!bad && c->st == C_WRITE)
                    bad = on_writable(c) < 0;
            } else if (pr > 0 && (pfd[k + 1].revents & POLLOUT) && c->st == C_WRITE) {
                bad = on_writable(c) < 0;
            }
            if (bad)
                conn_close(&s, k, 0);
        }
        if (pr > 0 && (pfd[0].revents & POLLIN))
            accept_all(&s);
    }
    while (s.nconns)
        conn_close(&s, s.nconns - 1, 0);
    queue_clear(&s);
    close(s.lfd);
    return 0;
}
