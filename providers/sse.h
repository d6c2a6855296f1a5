/*
 * providers/sse.h - incremental stream framing: Server-Sent Events and NDJSON lines, and the
 * stream decoder that drives a dialect's stream_event() with them.
 *
 * The transport hands over the body bytes exactly as curl delivers them (arbitrary chunk
 * boundaries, possibly splitting a CRLF or a UTF-8 sequence); the parsers keep what they need
 * across calls. Framing rules (WHATWG HTML "server-sent events", as the providers use it):
 *   - lines end with CRLF, LF or CR (a CR at the end of one chunk followed by LF at the start of
 *     the next is one line end);
 *   - a line starting with ':' is a comment (OpenRouter ": OPENROUTER PROCESSING", DeepSeek
 *     ": keep-alive") and is ignored;
 *   - "field: value" with one optional space after the colon; fields event, data (others ignored);
 *   - several data lines are joined with "\n";
 *   - an empty line dispatches the event; an event with no data line is not dispatched;
 *   - at end of input an event without its terminating empty line is dropped (the stream was cut).
 * "[DONE]" (OpenAI) is passed through as an ordinary data payload: the dialect recognises it.
 *
 * NDJSON (Ollama): one JSON value per line, LF or CRLF; empty lines are skipped; a final line
 * without a newline is still delivered at end of input (a complete JSON object then parses; a
 * cut one fails to parse and the dialect reports it).
 */
#ifndef RS_PROVIDERS_SSE_H
#define RS_PROVIDERS_SSE_H

#include "providers/provider.h"
#include "util/error.h"
#include "util/str.h"

#include <stddef.h>

/* Largest single event (or NDJSON line) accepted before RS_ELIMIT; a provider never sends more. */
#define RS_SSE_MAX_EVENT ((size_t)64 * 1024 * 1024)

/*
 * Called once per dispatched event. event is the `event:` name or NULL when none was given;
 * data is NUL-terminated at data[len] and borrowed for the duration of the call. A non-zero
 * return stops the parse and is returned by rs_sse_feed / rs_ndjson_feed.
 */
typedef int (*rs_sse_event_fn)(void *ud, const char *event, const char *data, size_t len,
                               rs_error *err);

typedef struct rs_sse_parser {
    rs_str line;   /* the current, not yet terminated line */
    rs_str event;  /* pending event name */
    rs_str data;   /* pending data, lines joined with '\n' */
    int has_data;  /* a data: line was seen for the pending event */
    int last_cr;   /* the previous chunk ended in CR: a leading LF belongs to it */
    int error;     /* sticky: after a failure every feed returns it */
    size_t events; /* events dispatched so far */
} rs_sse_parser;

void rs_sse_init(rs_sse_parser *p);
void rs_sse_free(rs_sse_parser *p);

/* Feed the next bytes; calls cb for every complete event. 0, the callback's code, or RS_ELIMIT /
 * RS_ENOMEM (err set). */
int rs_sse_feed(rs_sse_parser *p, const char *buf, size_t len, rs_sse_event_fn cb, void *ud,
                rs_error *err);

/* End of input: returns 1 when a partial event or line was pending (and is dropped), else 0. */
int rs_sse_finish(rs_sse_parser *p);

typedef struct rs_ndjson_parser {
    rs_str line;
    int error;
    size_t lines;
} rs_ndjson_parser;

void rs_ndjson_init(rs_ndjson_parser *p);
void rs_ndjson_free(rs_ndjson_parser *p);
/* Calls cb(ud, NULL, line, len, err) for each non-empty line (without its line end). */
int rs_ndjson_feed(rs_ndjson_parser *p, const char *buf, size_t len, rs_sse_event_fn cb, void *ud,
                   rs_error *err);
/* End of input: delivers a last unterminated non-empty line. */
int rs_ndjson_finish(rs_ndjson_parser *p, rs_sse_event_fn cb, void *ud, rs_error *err);

/*
 * The stream decoder: framing (SSE or NDJSON, from dialect->stream_ndjson) + the dialect's
 * stream_event(), accumulating into a caller-owned rs_result. This is what the transport uses:
 *
 *     rs_stream_decoder d;
 *     rs_stream_decoder_init(&d, svc->dialect, &res, &pe);
 *     ... for every body chunk:   rc = rs_stream_decoder_feed(&d, buf, n, &err);
 *             (after each feed, d.st.got_first_token says whether TTFT can be taken now)
 *     at end of body:             rc = rs_stream_decoder_finish(&d, &err);
 *     rs_stream_decoder_free(&d);
 *
 * feed/finish return 0, or RS_EPROVIDER with *pe filled (an error event inside the 200 stream,
 * an undecodable or oversized event: RS_FAIL_DECODE, or - from finish - a stream that ended
 * before its terminal event: RS_FAIL_STREAM), or RS_ENOMEM. After the terminal event further
 * bytes are ignored. err always carries a message safe to log.
 * A server that ignored "stream": true and answered application/json is not an SSE stream:
 * the transport should hand such a body to dialect->decode instead.
 */
typedef struct rs_stream_decoder {
    const rs_dialect *dialect;
    rs_result *res;
    rs_provider_error *pe;
    rs_stream st;
    rs_sse_parser sse;
    rs_ndjson_parser nd;
    int failed; /* an error was reported; later feeds return it again */
} rs_stream_decoder;

void rs_stream_decoder_init(rs_stream_decoder *d, const rs_dialect *dialect, rs_result *res,
                            rs_provider_error *pe);
int rs_stream_decoder_feed(rs_stream_decoder *d, const char *buf, size_t len, rs_error *err);
int rs_stream_decoder_finish(rs_stream_decoder *d, rs_error *err);
void rs_stream_decoder_free(rs_stream_decoder *d);

#endif
