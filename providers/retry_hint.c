/*
 * providers/retry_hint.c - retry-after-ms, Retry-After (seconds or HTTP-date), x-should-retry.
 */
#include "providers/retry_hint.h"

#include <string.h>
#include <strings.h>

void rs_retry_hint_init(rs_retry_hint *h)
{
    h->retry_after_ms = -1;
    h->retry_after_s = -1;
    h->retry_date = (time_t)-1;
    h->date = (time_t)-1;
    h->should_retry = -1;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Non-negative decimal with an optional fraction ("1.5"), scaled by `scale` into whole units.
 * -1 when it is not such a number. Clamped at RS_RETRY_HINT_MAX_MS. */
static long parse_scaled(const char *s, size_t n, long scale)
{
    size_t i = 0;
    double v = 0;
    int any = 0;
    while (i < n && digit(s[i])) {
        v = v * 10 + (s[i] - '0');
        if (v > 1e12)
            v = 1e12;
        i++;
        any = 1;
    }
    if (i < n && s[i] == '.') {
        double f = 0.1;
        i++;
        while (i < n && digit(s[i])) {
            v += (s[i] - '0') * f;
            f /= 10;
            i++;
            any = 1;
        }
    }
    if (!any || i != n)
        return -1;
    double ms = v * (double)scale;
    if (ms > (double)RS_RETRY_HINT_MAX_MS)
        return RS_RETRY_HINT_MAX_MS;
    return (long)(ms + 0.5);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), without timegm (not in C11/POSIX). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static int month_of(const char *s, size_t n)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (n != 3)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(s, names + 3 * i, 3) == 0)
            return i + 1;
    return -1;
}

/* A run of digits at s[*i] (at most maxd of them) -> value, or -1. */
static long read_num(const char *s, size_t n, size_t *i, int maxd)
{
    long v = 0;
    int k = 0;
    while (*i < n && digit(s[*i]) && k < maxd) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    return k ? v : -1;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i < n && s[*i] == c) {
        (*i)++;
        return 1;
    }
    return 0;
}

static void skip_spaces(const char *s, size_t n, size_t *i)
{
    while (*i < n && s[*i] == ' ')
        (*i)++;
}

/* "HH:MM:SS", as every HTTP date form writes the time of day; 0 when the colons are missing. */
static int read_clock(const char *s, size_t n, size_t *i, long *hh, long *mm, long *ss)
{
    *hh = read_num(s, n, i, 2);
    if (!expect(s, n, i, ':'))
        return 0;
    *mm = read_num(s, n, i, 2);
    if (!expect(s, n, i, ':'))
        return 0;
    *ss = read_num(s, n, i, 2);
    return 1;
}

time_t rs_http_date_parse(const char *s, size_t n)
{
    size_t i = 0;
    long day, mon, year, hh, mm, ss;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    skip_spaces(s, n, &i);
    /* weekday name, then ',' (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
     * "Sunday, 06-Nov-94 08:49:37 GMT") or ' ' (asctime "Sun Nov  6 08:49:37 1994") */
    size_t w = i;
    while (i < n && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
        i++;
    if (i - w < 3)
        return (time_t)-1;
    if (expect(s, n, &i, ',')) {
        skip_spaces(s, n, &i);
        day = read_num(s, n, &i, 2);
        int rfc850 = i < n && s[i] == '-';
        if (!rfc850 && !expect(s, n, &i, ' '))
            return (time_t)-1;
        if (rfc850)
            i++;
        mon = month_of(s + i, n - i >= 3 ? 3 : n - i);
        i += 3;
        if (i > n || !expect(s, n, &i, rfc850 ? '-' : ' '))
            return (time_t)-1;
        size_t ys = i;
        year = read_num(s, n, &i, 4);
        if (rfc850 && i - ys == 2) /* RFC 9110: a two-digit year more than 50 years ahead is past */
            year += year < 70 ? 2000 : 1900;
        if (!expect(s, n, &i, ' '))
            return (time_t)-1;
        if (!read_clock(s, n, &i, &hh, &mm, &ss))
            return (time_t)-1;
        skip_spaces(s, n, &i);
        if (n - i != 3 || strncmp(s + i, "GMT", 3) != 0)
            return (time_t)-1;
    } else {
        skip_spaces(s, n, &i);
        mon = month_of(s + i, n - i >= 3 ? 3 : n - i);
        i += 3;
        if (i > n)
            return (time_t)-1;
        skip_spaces(s, n, &i);
        day = read_num(s, n, &i, 2);
        if (!expect(s, n, &i, ' '))
            return (time_t)-1;
        if (!read_clock(s, n, &i, &hh, &mm, &ss))
            return (time_t)-1;
        if (!expect(s, n, &i, ' '))
            return (time_t)-1;
        year = read_num(s, n, &i, 4);
        if (i != n)
            return (time_t)-1;
    }
    if (day < 1 || day > 31 || mon < 1 || year < 1970 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60)
        return (time_t)-1;
    long long t = days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400LL + hh * 3600LL +
                  mm * 60LL + ss;
    return (time_t)t;
}

/* "Name: value" -> name/value slices with surrounding blanks removed; 0 when no colon. */
static int split_header(const char *line, size_t len, const char **name, size_t *nlen,
                        const char **val, size_t *vlen)
{
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return 0;
    *name = line;
    *nlen = (size_t)(colon - line);
    while (*nlen > 0 && is_space(line[*nlen - 1]))
        (*nlen)--;
    const char *v = colon + 1;
    size_t n = len - (size_t)(v - line);
    while (n > 0 && is_space(*v)) {
        v++;
        n--;
    }
    while (n > 0 && is_space(v[n - 1]))
        n--;
    *val = v;
    *vlen = n;
    return 1;
}

static int name_is(const char *name, size_t nlen, const char *want)
{
    return strlen(want) == nlen && strncasecmp(name, want, nlen) == 0;
}

void rs_retry_hint_header(rs_retry_hint *h, const char *line, size_t len)
{
    const char *name, *val;
    size_t nlen, vlen;
    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        rs_retry_hint_init(h); /* a new response (after a 100 Continue or a redirect) */
        return;
    }
    if (!split_header(line, len, &name, &nlen, &val, &vlen))
        return;
    if (name_is(name, nlen, "retry-after-ms")) {
        h->retry_after_ms = parse_scaled(val, vlen, 1);
    } else if (name_is(name, nlen, "retry-after")) {
        long ms = parse_scaled(val, vlen, 1000);
        if (ms >= 0) {
            h->retry_after_s = ms;
        } else {
            h->retry_date = rs_http_date_parse(val, vlen);
        }
    } else if (name_is(name, nlen, "date")) {
        h->date = rs_http_date_parse(val, vlen);
    } else if (name_is(name, nlen, "x-should-retry")) {
        if (vlen == 4 && strncasecmp(val, "true", 4) == 0)
            h->should_retry = 1;
        else if (vlen == 5 && strncasecmp(val, "false", 5) == 0)
            h->should_retry = 0;
    }
}

long rs_retry_hint_ms(const rs_retry_hint *h, time_t now)
{
    if (h->retry_after_ms >= 0)
        return h->retry_after_ms;
    if (h->retry_after_s >= 0)
        return h->retry_after_s;
    if (h->retry_date != (time_t)-1) {
        time_t base = h->date != (time_t)-1 ? h->date : now;
        double d = difftime(h->retry_date, base);
        if (d <= 0)
            return 0; /* a date in the past: retry now */
        if (d * 1000.0 > (double)RS_RETRY_HINT_MAX_MS)
            return RS_RETRY_HINT_MAX_MS;
        return (long)(d * 1000.0);
    }
    return -1;
}

long rs_retry_hint_parse(const char *const *lines, size_t n, time_t now, int *should_retry)
{
    rs_retry_hint h;
    rs_retry_hint_init(&h);
    for (size_t i = 0; i < n; i++)
        if (lines[i])
            rs_retry_hint_header(&h, lines[i], strlen(lines[i]));
    if (should_retry)
        *should_retry = h.should_retry;
    return rs_retry_hint_ms(&h, now);
}
