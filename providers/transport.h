/*
 * providers/transport.h - the HTTP engine every provider call goes through.
 *
 * One engine on the curl multi interface (transport.c is the only includer of curl.h): many
 * exchanges in flight on one thread, HTTP/1.1 keep-alive and HTTP/2 (negotiated over TLS,
 * multiplexed) with connection reuse through the multi handle's shared connection cache, a
 * per-exchange timeout, no signals. A blocking call (rs_transport_perform) is a thin wrapper
 * over the same loop that concurrent batches drive with rs_transport_add + rs_transport_step.
 *
 * An exchange sends one rs_request and decodes the answer with the request's dialect:
 *   - 2xx, not streamed: dialect->decode on the whole body;
 *   - 2xx, streamed: the bytes are fed to the SSE/NDJSON stream decoder (providers/sse.h) as
 *     they arrive; time to first token is taken when the decoder sees the first delta, and
 *     on_text (when set) receives each new piece of answer text;
 *   - other statuses: dialect->classify_error with the retry hint parsed from the headers
 *     (retry-after-ms, Retry-After seconds or HTTP-date; x-should-retry kept apart);
 *   - no answer: curl's error (CURLOPT_ERRORBUFFER) translated at once into a timeout, network
 *     or stream failure, with a message naming the host, never the key.
 *
 * Keys: request headers are never copied anywhere but curl's header list. With a trace stream
 * (--verbose), header values of Authorization, Proxy-Authorization, x-api-key, x-goog-api-key and
 * api-key are printed as "[REDACTED]", and the request's key values are scrubbed from every
 * traced line (a key put in a URL query would be caught too).
 *
 * Threads: an rs_transport and its exchanges belong to one thread at a time.
 */
#ifndef RS_PROVIDERS_TRANSPORT_H
#define RS_PROVIDERS_TRANSPORT_H

#include "providers/provider.h"
#include "providers/retry_hint.h"

#include <signal.h>
#include <stdio.h>

typedef struct rs_transport rs_transport;

typedef struct rs_transport_opts {
    long connect_timeout_ms; /* TCP+TLS connect limit per exchange; 0 = 10 s */
    long max_host_conns;     /* parallel connections per host; 0 = no limit */
    long max_cached_conns;   /* idle connections kept for reuse; 0 = 256 */
    int http1_only;          /* 1: never negotiate HTTP/2 */
    FILE *trace;             /* --verbose trace (redacted); NULL = off */
} rs_transport_opts;

#define RS_TRANSPORT_OPTS_INIT                                                                     \
    {                                                                                              \
        0, 0, 0, 0, NULL                                                                           \
    }

int rs_transport_new(rs_transport **out, const rs_transport_opts *opts, rs_error *err);
/* Frees the engine. Remove (rs_transport_remove) or complete every exchange first. NULL-safe. */
void rs_transport_free(rs_transport *t);

typedef struct rs_exchange rs_exchange;

/* Called once per exchange when it completed (successfully or not). x is the caller's. */
typedef void (*rs_exchange_done_fn)(rs_exchange *x, void *ud);
/* A piece of streamed answer text, as soon as it was decoded. */
typedef void (*rs_exchange_text_fn)(void *ud, const char *text, size_t len);

/*
 * One request/answer. The caller owns it: set the inputs, add it, and read the outputs once
 * `done` ran (or rs_transport_perform returned). Reusable after rs_exchange_reset.
 */
struct rs_exchange {
    /* ---- inputs ---- */
    const rs_request *req;     /* borrowed until completion */
    const rs_dialect *dialect; /* decodes the answer */
    long timeout_ms;           /* whole exchange (connect to last byte); 0 = none */
    rs_exchange_done_fn done;  /* may be NULL (blocking use) */
    void *done_ud;
    rs_exchange_text_fn on_text; /* may be NULL */
    void *text_ud;

    /* ---- outputs ---- */
    int rc;               /* 0 answered and decoded; RS_EPROVIDER (pe says why);
                             RS_ENOMEM / RS_EINTERNAL (err says why) */
    rs_error err;         /* the message of a failure, safe to log */
    rs_provider_error pe; /* cls RS_FAIL_NONE on success */
    rs_result result;     /* the decoded answer (partial text for a cut stream) */
    int http_status;      /* 0 when no HTTP answer arrived */
    int should_retry;     /* x-should-retry: 1, 0, -1 absent */
    long retry_after_ms;  /* header hint (retry-after-ms / Retry-After), -1 none */
    double latency_ms;    /* submit to completion */
    double ttfb_ms;       /* submit to the first body byte; -1 none */
    double ttft_ms;       /* submit to the first decoded token (streams); -1 none */
    int reused_conn;      /* 1 when an existing connection was reused */
    char http_version[8]; /* "1.1", "2" */

    /* ---- private ---- */
    struct rs_xfer *priv;
};

void rs_exchange_init(rs_exchange *x);
/* Free the outputs; the exchange can be set up again. Never call it while x is in flight. */
void rs_exchange_reset(rs_exchange *x);

/* Start x (non-blocking): over an idle kept-alive connection the request is written before this
 * returns (also from a `done` callback), else it leaves as soon as its connection is ready. 0, or
 * RS_ENOMEM / RS_EHTTP with err set (x is not started then). */
int rs_transport_add(rs_transport *t, rs_exchange *x, rs_error *err);

/* Abandon x if it is in flight: no callback; x->rc becomes RS_EINTERRUPTED. */
void rs_transport_remove(rs_transport *t, rs_exchange *x);

/*
 * Drive the engine: wait at most wait_ms for network activity or rs_transport_wakeup (also
 * when nothing is in flight: then it is the caller's timer; 0 = just poll), move every
 * transfer forward and run the `done` callbacks of the exchanges that completed. Returns the
 * number of exchanges still in flight (>= 0), or RS_EHTTP with err set when the multi handle
 * failed. Callbacks may add new exchanges.
 */
int rs_transport_step(rs_transport *t, long wait_ms, rs_error *err);

/* Number of exchanges in flight. */
size_t rs_transport_pending(const rs_transport *t);

/* Wake a thread blocked in rs_transport_step (from another thread; not async-signal-safe). */
void rs_transport_wakeup(rs_transport *t);

/*
 * Blocking: add x and step until it completes. Returns x->rc. cancel (may be NULL) is polled
 * every 100 ms: when it turns non-zero the exchange is abandoned with RS_EINTERRUPTED.
 */
int rs_transport_perform(rs_transport *t, rs_exchange *x, volatile const sig_atomic_t *cancel);

/* "curl/7.88.1 (HTTP2 yes)" - for --version style reports. */
const char *rs_transport_describe(void);

#endif
