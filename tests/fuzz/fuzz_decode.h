/*
 * tests/fuzz/fuzz_decode.h - the body shared by the per-dialect decoder fuzz targets
 * (fuzz_decode_<dialect>.c): one target per dialect covers its response decoder, its stream
 * decoder (SSE or NDJSON framing + stream_event), its error classifier and the retry-hint header
 * parser, chosen by the first input byte, so CI runs 6 targets instead of 24.
 *
 *   byte 0 % 4 == 0   the rest is a complete response body: dialect->decode
 *   byte 0 % 4 == 1   byte 1 seeds the chunk sizes, the rest is a stream body fed in chunks
 *   byte 0 % 4 == 2   bytes 1-2 pick an HTTP status 300..599, the rest is the error body:
 *                     classify_error
 *   byte 0 % 4 == 3   the rest is response header lines: retry_hint (and HTTP-date) parsing
 *
 * Invariants checked (abort() on violation, so libFuzzer reports them): a success leaves a
 * NUL-terminated text and tool calls whose arguments are JSON objects; a failure carries a
 * one-line message and a class; nothing leaks (ASan).
 */
#ifndef RS_FUZZ_DECODE_H
#define RS_FUZZ_DECODE_H

#include "providers/decode.h"
#include "providers/retry_hint.h"
#include "providers/sse.h"
#include "util/alloc.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_check_result(const rs_result *res)
{
    if (res->text.len && res->text.ptr[res->text.len] != '\0')
        abort();
    for (size_t i = 0; i < res->tool_calls.len; i++) {
        const rs_tool_call *tc = &RS_VEC_AT(&res->tool_calls, rs_tool_call, i);
        cJSON *v = NULL;
        if (!tc->id || !tc->name || !tc->args_json ||
            rs_json_parse(&v, tc->args_json, strlen(tc->args_json), NULL, NULL) != 0)
            abort();
        int obj = cJSON_IsObject(v);
        cJSON_Delete(v);
        if (!obj)
            abort();
    }
}

static void fuzz_check_error(int rc, const rs_provider_error *pe, const rs_error *err)
{
    if (rc == RS_EPROVIDER && (pe->cls == RS_FAIL_NONE || pe->message[0] == '\0' ||
                               strchr(pe->message, '\n') || err->message[0] == '\0'))
        abort();
    if (rc != 0 && rc != RS_EPROVIDER && rc != RS_ENOMEM && rc != RS_ELIMIT)
        abort();
}

static int fuzz_decode_one(const char *dialect, const uint8_t *data, size_t size)
{
    static int hooked;
    if (!hooked) { /* the library's allocator, as rs_global_init would set it */
        cJSON_Hooks hooks = {rs_malloc, rs_free};
        cJSON_InitHooks(&hooks);
        hooked = 1;
    }
    const rs_dialect *d = rs_dialect_find(dialect);
    if (!d || size < 1)
        return 0;
    int mode = data[0] % 4;
    rs_result res;
    rs_provider_error pe;
    rs_error err = RS_ERROR_INIT;
    memset(&pe, 0, sizeof pe);
    rs_result_init(&res);
    if (mode == 0) {
        int rc = d->decode(&res, &pe, (const char *)data + 1, size - 1, &err);
        fuzz_check_error(rc, &pe, &err);
        if (rc == 0)
            fuzz_check_result(&res);
    } else if (mode == 1 && size >= 2) {
        unsigned seed = data[1] | 1u;
        const char *body = (const char *)data + 2;
        size_t len = size - 2, off = 0;
        rs_stream_decoder dec;
        rs_stream_decoder_init(&dec, d, &res, &pe);
        int rc = 0;
        while (off < len && rc == 0) {
            seed = seed * 1103515245u + 12345u;
            size_t n = 1 + (seed >> 16) % 37;
            if (n > len - off)
                n = len - off;
            rc = rs_stream_decoder_feed(&dec, body + off, n, &err);
            off += n;
        }
        if (rc == 0)
            rc = rs_stream_decoder_finish(&dec, &err);
        fuzz_check_error(rc, &pe, &err);
        if (rc == 0) {
            if (!dec.st.done)
                abort(); /* finish() succeeds only after the terminal event */
            fuzz_check_result(&res);
        }
        rs_stream_decoder_free(&dec);
    } else if (mode == 2 && size >= 3) {
        int status = 300 + (data[1] << 8 | data[2]) % 300; /* a non-2xx answer */
        memset(&pe, 0x55, sizeof pe);
        d->classify_error(&pe, status, (const char *)data + 3, size - 3, -1);
        if (pe.cls == RS_FAIL_NONE || pe.http_status != status || !memchr(pe.message, 0, 512) ||
            strchr(pe.message, '\n'))
            abort();
    } else if (mode == 3) {
        rs_retry_hint h;
        rs_retry_hint_init(&h);
        const char *p = (const char *)data + 1, *end = (const char *)data + size;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            rs_retry_hint_header(&h, p, n);
            (void)rs_http_date_parse(p, n);
            p += n + (nl ? 1 : 0);
        }
        long ms = rs_retry_hint_ms(&h, (time_t)1763785873);
        if (ms < -1 || ms > RS_RETRY_HINT_MAX_MS || h.should_retry < -1 || h.should_retry > 1)
            abort();
    }
    rs_result_free(&res);
    return 0;
}

#endif
