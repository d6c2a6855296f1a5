/*
 * util/json_locate.c - where a JSON text first goes wrong, and what was expected there.
 *
 * cJSON says only that parsing failed, and the position it leaves is sometimes the bad byte,
 * sometimes one past it, sometimes the start of the value. Users need the exact byte and a reason
 * ("expected a string key"), so after cJSON refuses a text this small strict scanner walks it
 * again (RFC 8259) and stops at the first byte that cannot continue a valid document.
 */
#include "util/json_locate.h"

#include <string.h>

typedef struct scan {
    const char *s;
    size_t n;
    size_t pos;
    const char *why;
} scan;

#define MAX_DEPTH 1000 /* cJSON's own nesting limit (CJSON_NESTING_LIMIT) */

static void skip_ws(scan *sc)
{
    while (sc->pos < sc->n) {
        char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        sc->pos++;
    }
}

static int fail(scan *sc, const char *why)
{
    sc->why = why;
    return -1;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int scan_string(scan *sc)
{
    sc->pos++; /* the opening quote */
    while (sc->pos < sc->n) {
        unsigned char c = (unsigned char)sc->s[sc->pos];
        if (c == '"') {
            sc->pos++;
            return 0;
        }
        if (c < 0x20)
            return fail(sc, "control character in a string (escape it)");
        if (c == '\\') {
            sc->pos++;
            if (sc->pos >= sc->n)
                break;
            char e = sc->s[sc->pos];
            if (e == 'u') {
                for (int i = 1; i <= 4; i++) {
                    if (sc->pos + (size_t)i >= sc->n || !is_hex(sc->s[sc->pos + (size_t)i])) {
                        sc->pos += (size_t)i;
                        return fail(sc, "expected 4 hex digits after \\u");
                    }
                }
                sc->pos += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return fail(sc, "invalid escape in a string");
        }
        sc->pos++;
    }
    return fail(sc, "unterminated string");
}

static int scan_number(scan *sc)
{
    if (sc->s[sc->pos] == '-')
        sc->pos++;
    if (sc->pos >= sc->n || !is_digit(sc->s[sc->pos]))
        return fail(sc, "expected a digit");
    if (sc->s[sc->pos] == '0') {
        sc->pos++;
    } else {
        while (sc->pos < sc->n && is_digit(sc->s[sc->pos]))
            sc->pos++;
    }
    if (sc->pos < sc->n && sc->s[sc->pos] == '.') {
        sc->pos++;
        if (sc->pos >= sc->n || !is_digit(sc->s[sc->pos]))
            return fail(sc, "expected a digit after the decimal point");
        while (sc->pos < sc->n && is_digit(sc->s[sc->pos]))
            sc->pos++;
    }
    if (sc->pos < sc->n && (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
        sc->pos++;
        if (sc->pos < sc->n && (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
            sc->pos++;
        if (sc->pos >= sc->n || !is_digit(sc->s[sc->pos]))
            return fail(sc, "expected a digit in the exponent");
        while (sc->pos < sc->n && is_digit(sc->s[sc->pos]))
            sc->pos++;
    }
    return 0;
}

static int scan_word(scan *sc, const char *word)
{
    size_t len = strlen(word);
    for (size_t i = 0; i < len; i++) {
        if (sc->pos + i >= sc->n || sc->s[sc->pos + i] != word[i]) {
            sc->pos += i;
            return fail(sc, "expected a value (object, array, string, number, true, false or null)");
        }
    }
    sc->pos += len;
    return 0;
}

static int scan_value(scan *sc, int depth);

static int scan_container(scan *sc, int depth, char close)
{
    if (depth >= MAX_DEPTH)
        return fail(sc, "nested too deeply");
    sc->pos++; /* [ or { */
    skip_ws(sc);
    if (sc->pos < sc->n && sc->s[sc->pos] == close) {
        sc->pos++;
        return 0;
    }
    for (;;) {
        skip_ws(sc);
        if (close == '}') {
            if (sc->pos >= sc->n || sc->s[sc->pos] != '"')
                return fail(sc, "expected a string key");
            if (scan_string(sc))
                return -1;
            skip_ws(sc);
            if (sc->pos >= sc->n || sc->s[sc->pos] != ':')
                return fail(sc, "expected ':' after the key");
            sc->pos++;
        }
        if (scan_value(sc, depth + 1))
            return -1;
        skip_ws(sc);
        if (sc->pos < sc->n && sc->s[sc->pos] == ',') {
            sc->pos++;
            continue;
        }
        if (sc->pos < sc->n && sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        return fail(sc, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
    }
}

static int scan_value(scan *sc, int depth)
{
    skip_ws(sc);
    if (sc->pos >= sc->n)
        return fail(sc, "unexpected end of input, expected a value");
    char c = sc->s[sc->pos];
    switch (c) {
    case '{':
        return scan_container(sc, depth, '}');
    case '[':
        return scan_container(sc, depth, ']');
    case '"':
        return scan_string(sc);
    case 't':
        return scan_word(sc, "true");
    case 'f':
        return scan_word(sc, "false");
    case 'n':
        return scan_word(sc, "null");
    default:
        if (c == '-' || is_digit(c))
            return scan_number(sc);
        return fail(sc, "expected a value (object, array, string, number, true, false or null)");
    }
}

size_t rs_json_locate_error(const char *text, size_t len, const char **why)
{
    scan sc = {text, len, 0, NULL};
    if (scan_value(&sc, 0) == 0) {
        skip_ws(&sc);
        if (sc.pos < len && text[sc.pos] != '\0')
            sc.why = "unexpected text after the JSON value";
        /* else: valid to this scanner though the parser refused it; why stays NULL */
    }
    if (why)
        *why = sc.why;
    size_t pos = sc.pos > len ? len : sc.pos;
    /* At the end of the input, point just after the last token rather than at an empty line. */
    if (pos == len)
        while (pos > 0 && strchr(" \t\r\n", text[pos - 1]))
            pos--;
    return pos;
}
