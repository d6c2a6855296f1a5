/*
 * templates/hbs_lexer.c - the Handlebars tokenizer.
 *
 * Follows the rules of Handlebars 4.x's lexer (handlebars.l) in their order, since the first rule
 * that matches wins there: text outside tags (with \{{ escapes), then inside a tag the openers,
 * closers, literals, identifiers and [segment literals]. Regular-expression behaviour that matters
 * for odd input (JavaScript's \s includes Unicode spaces, string escapes backtrack) is reproduced.
 */
#include "templates/hbs_internal.h"

#include "rosetta/error.h"

#include <stdint.h>
#include <string.h>

enum { LX_INIT, LX_MU, LX_EMU };

void hbs_lexer_init(hbs_lexer *lx, const char *src, size_t len, rs_arena *arena)
{
    lx->src = src;
    lx->len = len;
    lx->pos = 0;
    lx->state = LX_INIT;
    lx->arena = arena;
}

/* JavaScript's \s: ASCII white space plus the Unicode space separators, line separators and BOM. */
size_t hbs_js_space(const char *p, const char *end)
{
    const unsigned char *u = (const unsigned char *)p;
    size_t n = (size_t)(end - p);
    if (n == 0)
        return 0;
    unsigned c = u[0];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r')
        return 1;
    if (c < 0xC2)
        return 0;
    if (c == 0xC2 && n >= 2 && u[1] == 0xA0) /* U+00A0 */
        return 2;
    if (n < 3)
        return 0;
    if (c == 0xE1 && u[1] == 0x9A && u[2] == 0x80) /* U+1680 */
        return 3;
    if (c == 0xE2 && u[1] == 0x80 &&
        ((u[2] >= 0x80 && u[2] <= 0x8A) || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
        return 3;                                  /* U+2000..200A, 2028, 2029, 202F */
    if (c == 0xE2 && u[1] == 0x81 && u[2] == 0x9F) /* U+205F */
        return 3;
    if (c == 0xE3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
        return 3;
    if (c == 0xEF && u[1] == 0xBB && u[2] == 0xBF) /* U+FEFF */
        return 3;
    return 0;
}

size_t hbs_js_space_before(const char *start, const char *end)
{
    /* an ASCII last byte decides alone: every longer white-space character ends in 0x80.. */
    if (end > start && (unsigned char)end[-1] < 0x80)
        return hbs_js_space(end - 1, end);
    for (size_t k = 1; k <= 3 && (size_t)(end - start) >= k; k++) {
        if (hbs_js_space(end - k, end) == k)
            return k;
    }
    return 0;
}

static int starts_n(const hbs_lexer *lx, size_t at, const char *lit, size_t n)
{
    /* the first byte decides most calls: the lexer tries several literals at every token */
    return at <= lx->len && lx->len - at >= n &&
           (n == 0 || (lx->src[at] == lit[0] && memcmp(lx->src + at, lit, n) == 0));
}

/* Does the source at `at` start with the string literal lit? */
#define starts(lx, at, lit) starts_n((lx), (at), (lit), sizeof(lit) - 1)

static size_t skip_space(const hbs_lexer *lx, size_t at)
{
    size_t k;
    while (at < lx->len) {
        unsigned char c = (unsigned char)lx->src[at];
        if (c > ' ' && c < 0x80)
            break; /* printable ASCII, the usual next byte: no white space */
        if ((k = hbs_js_space(lx->src + at, lx->src + lx->len)) == 0)
            break;
        at += k;
    }
    return at;
}

/* The characters an identifier may not contain (besides white space): ! " # % & ' ( ) * + , . /
 * ; < = > @ [ \ ] ^ ` { | } ~ . ID_ASCII has bit c set for every other ASCII byte c that is not
 * white space (space, \t..\r): identifiers are most of a template's tokens, and a bit test per
 * byte scans them. Bytes from 0x80 on belong to identifiers unless they start a white-space
 * character. */
static const uint64_t ID_ASCII[2] = {0x87ff2010ffffc1ffull, 0x87fffffe87fffffeull};

static int id_char(const hbs_lexer *lx, size_t at)
{
    unsigned char c = (unsigned char)lx->src[at];
    if (c >= 0x80)
        return hbs_js_space(lx->src + at, lx->src + lx->len) == 0;
    return (int)((ID_ASCII[c >> 6] >> (c & 63)) & 1);
}

/* Lookahead sets of the lexer rules: [=~}\s/.)|] for identifiers, [~}\s)] for literals. */
static int id_follow(const hbs_lexer *lx, size_t at)
{
    /* Handlebars' lookahead fails at the end of input; accepting there changes no result (the
     * tag is unterminated either way) but gives the better message, "expected '}}'". */
    if (at >= lx->len)
        return 1;
    char c = lx->src[at];
    return c == '=' || c == '~' || c == '}' || c == '/' || c == '.' || c == ')' || c == '|' ||
           hbs_js_space(lx->src + at, lx->src + lx->len) > 0;
}

static int literal_follow(const hbs_lexer *lx, size_t at)
{
    if (at >= lx->len)
        return 1;
    char c = lx->src[at];
    return c == '~' || c == '}' || c == ')' || hbs_js_space(lx->src + at, lx->src + lx->len) > 0;
}

static int is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void set(hbs_token *t, hbs_tok_type type, const hbs_lexer *lx, size_t start, size_t end)
{
    t->type = type;
    t->start = start;
    t->end = end;
    t->text = lx->src + start;
    t->len = end - start;
    t->literal = 0;
    t->error = 0;
}

/*
 * A quoted string or a [segment]: the close character may be escaped with a backslash; when the
 * greedy scan finds no closer, the regex backtracks to the last escaped closer. Returns the end
 * (one past the closer) or 0 when there is no match.
 */
static size_t scan_quoted(const hbs_lexer *lx, size_t at, char close)
{
    size_t i = at + 1, last_escaped = 0;
    while (i < lx->len) {
        char c = lx->src[i];
        if (c == '\\' && i + 1 < lx->len && lx->src[i + 1] == close) {
            last_escaped = i + 1;
            i += 2;
        } else if (c == close) {
            return i + 1;
        } else {
            i++;
        }
    }
    return last_escaped ? last_escaped + 1 : 0;
}

/* Copy (s, n) dropping the backslash of each \<c> where c is in `which`. */
static const char *unescape(hbs_lexer *lx, const char *s, size_t n, const char *which,
                            size_t *out_len)
{
    char *p = rs_arena_alloc(lx->arena, n + 1);
    if (!p)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\\' && i + 1 < n && strchr(which, s[i + 1]) && s[i + 1] != '\0') {
            p[o++] = s[i + 1];
            i++;
        } else {
            p[o++] = s[i];
        }
    }
    p[o] = '\0';
    *out_len = o;
    return p;
}

/* Text outside tags. */
static int lex_content(hbs_lexer *lx, hbs_token *t)
{
    size_t start = lx->pos;
    if (lx->state == LX_EMU) {
        /* An escaped mustache: at least "{{", then up to the next {{, \{{, \\{{ or the end. */
        size_t q = start + 2;
        while (q < lx->len && !starts(lx, q, "{{") && !starts(lx, q, "\\{{") &&
               !starts(lx, q, "\\\\{{"))
            q++;
        if (q > lx->len)
            q = lx->len;
        lx->state = LX_INIT;
        lx->pos = q;
        set(t, TK_CONTENT, lx, start, q);
        return 0;
    }
    const char *open = NULL;
    const char *p = lx->src + start, *stop = lx->src + lx->len;
    while (p < stop && (p = memchr(p, '{', (size_t)(stop - p))) != NULL) {
        if (p + 1 < stop && p[1] == '{') {
            open = p;
            break;
        }
        p++;
    }
    if (!open) {
        lx->pos = lx->len;
        set(t, TK_CONTENT, lx, start, lx->len);
        return 0;
    }
    size_t end = (size_t)(open - lx->src);
    size_t text_end = end;
    lx->state = LX_MU;
    if (end - start >= 2 && lx->src[end - 1] == '\\' && lx->src[end - 2] == '\\') {
        text_end = end - 1; /* \\{{ : a literal backslash, then a real tag */
    } else if (end - start >= 1 && lx->src[end - 1] == '\\') {
        text_end = end - 1; /* \{{ : the tag is text */
        lx->state = LX_EMU;
    }
    lx->pos = end;
    set(t, TK_CONTENT, lx, start, end);
    t->len = text_end - start;
    return 0;
}

/* A tag opener at lx->pos ("{{" seen). */
static int lex_open(hbs_lexer *lx, hbs_token *t)
{
    size_t s = lx->pos, q = s + 2;
    if (q < lx->len && lx->src[q] == '~')
        q++;
    char c = q < lx->len ? lx->src[q] : '\0';
    hbs_tok_type type = TK_OPEN;
    size_t end = q;
    if (c == '>') {
        type = TK_OPEN_PARTIAL;
        end = q + 1;
    } else if (c == '#' && q + 1 < lx->len && lx->src[q + 1] == '>') {
        type = TK_OPEN_PARTIAL_BLOCK;
        end = q + 2;
    } else if (c == '#') {
        type = TK_OPEN_BLOCK;
        end = q + 1;
        if (end < lx->len && lx->src[end] == '*')
            end++;
    } else if (c == '/') {
        type = TK_OPEN_ENDBLOCK;
        end = q + 1;
    } else if (c == '^') {
        size_t r = skip_space(lx, q + 1);
        if (r < lx->len && lx->src[r] == '~')
            r++;
        if (starts(lx, r, "}}")) {
            type = TK_INVERSE;
            end = r + 2;
            lx->state = LX_INIT;
        } else {
            type = TK_OPEN_INVERSE;
            end = q + 1;
        }
    } else if (c == '{') {
        type = TK_OPEN_UNESCAPED;
        end = q + 1;
    } else if (c == '&') {
        type = TK_OPEN;
        end = q + 1;
    } else if (c == '!') {
        if (starts(lx, q, "!--")) {
            /* {{!-- ... --}}: the first --}} or --~}} from the opener on */
            size_t r = s;
            end = 0;
            while (r + 3 < lx->len + 0 && r < lx->len) {
                if (lx->src[r] == '-' && r + 1 < lx->len && lx->src[r + 1] == '-') {
                    size_t k = r + 2;
                    if (k < lx->len && lx->src[k] == '~')
                        k++;
                    if (starts(lx, k, "}}")) {
                        end = k + 2;
                        break;
                    }
                }
                r++;
            }
        } else {
            size_t r = q + 1;
            end = 0;
            while (r + 1 < lx->len) {
                if (lx->src[r] == '}' && lx->src[r + 1] == '}') {
                    end = r + 2;
                    break;
                }
                r++;
            }
        }
        if (!end) {
            set(t, TK_INVALID, lx, s, lx->len);
            t->error = 1;
            lx->pos = lx->len;
            return 0;
        }
        type = TK_COMMENT;
        lx->state = LX_INIT;
    } else {
        size_t r = skip_space(lx, q);
        if (starts(lx, r, "else")) {
            size_t k = skip_space(lx, r + 4);
            if (k < lx->len && lx->src[k] == '~')
                k++;
            if (starts(lx, k, "}}")) {
                set(t, TK_INVERSE, lx, s, k + 2);
                lx->pos = k + 2;
                lx->state = LX_INIT;
                return 0;
            }
            if (r + 4 >= lx->len || !is_word(lx->src[r + 4])) {
                set(t, TK_OPEN_INVERSE_CHAIN, lx, s, r + 4);
                lx->pos = r + 4;
                return 0;
            }
        }
        type = TK_OPEN;
        end = q;
        if (end < lx->len && lx->src[end] == '*')
            end++;
    }
    set(t, type, lx, s, end);
    lx->pos = end;
    return 0;
}

/* Inside a tag. */
/* An identifier at s: *type TK_ID and *end after it, or unchanged when there is none. */
static void lex_name(const hbs_lexer *lx, size_t s, hbs_tok_type *type, size_t *end)
{
    size_t r = s;
    while (r < lx->len && id_char(lx, r))
        r++;
    if (r > s && id_follow(lx, r)) {
        *type = TK_ID;
        *end = r;
    }
}

static int lex_mu(hbs_lexer *lx, hbs_token *t)
{
    size_t s = skip_space(lx, lx->pos);
    lx->pos = s;
    if (s >= lx->len) {
        set(t, TK_EOF, lx, s, s);
        return 0;
    }
    const char *p = lx->src + s;
    char c = *p;
    size_t end = s + 1;
    hbs_tok_type type = TK_INVALID;
    /* most tokens are names: a letter that starts no keyword (true false undefined null, "as |")
     * or '_' can only begin an identifier, so skip the other rules' tests */
    int plain_name =
        (c >= 'A' && c <= 'Z') || c == '_' ||
        (c >= 'a' && c <= 'z' && c != 't' && c != 'f' && c != 'u' && c != 'n' && c != 'a');
    /* Each rule below matches one first character, so testing that character first picks the
     * same rule as trying them in handlebars.l's order. A character whose rules all fail (a
     * lone '{' or '~') falls to the catch-all: one invalid character. */
    if (plain_name) {
        lex_name(lx, s, &type, &end);
    } else if (c == '}') {
        if (starts(lx, s, "}}}}")) {
            type = TK_CLOSE_RAW_BLOCK;
            end = s + 4;
        } else if (starts(lx, s, "}}}") || starts(lx, s, "}~}}")) {
            type = TK_CLOSE_UNESCAPED;
            end = s + (p[1] == '~' ? 4 : 3);
            lx->state = LX_INIT;
        } else if (starts(lx, s, "}}")) {
            type = TK_CLOSE;
            end = s + 2;
            lx->state = LX_INIT;
        }
    } else if (c == '(') {
        type = TK_OPEN_SEXPR;
    } else if (c == ')') {
        type = TK_CLOSE_SEXPR;
    } else if (c == '{') {
        if (starts(lx, s, "{{{{")) {
            type = TK_OPEN_RAW_BLOCK;
            end = s + 4;
        } else if (starts(lx, s, "{{")) {
            return lex_open(lx, t);
        }
    } else if (c == '=') {
        type = TK_EQUALS;
    } else if (c == '.') {
        if (starts(lx, s, "..")) {
            type = TK_ID;
            end = s + 2;
        } else {
            type = id_follow(lx, s + 1) ? TK_ID : TK_SEP;
        }
    } else if (c == '/') {
        type = TK_SEP;
    } else if (c == '~') {
        if (starts(lx, s, "~}}")) {
            type = TK_CLOSE;
            end = s + 3;
            lx->state = LX_INIT;
        }
    } else if (c == '"' || c == '\'') {
        size_t e = scan_quoted(lx, s, c);
        if (!e) {
            set(t, TK_INVALID, lx, s, lx->len);
            t->error = 2;
            lx->pos = lx->len;
            return 0;
        }
        char q[2] = {c, '\0'};
        size_t n;
        const char *txt = unescape(lx, p + 1, e - s - 2, q, &n);
        if (!txt)
            return RS_ENOMEM;
        set(t, TK_STRING, lx, s, e);
        t->text = txt;
        t->len = n;
        lx->pos = e;
        return 0;
    } else if (c == '@') {
        type = TK_DATA;
    } else {
        static const struct {
            const char *word;
            size_t len;
            hbs_tok_type type;
        } words[] = {{"true", 4, TK_BOOLEAN},
                     {"false", 5, TK_BOOLEAN},
                     {"undefined", 9, TK_UNDEFINED},
                     {"null", 4, TK_NULL}};
        for (size_t i = 0;
             (c == 't' || c == 'f' || c == 'u' || c == 'n') && i < sizeof words / sizeof words[0];
             i++) {
            size_t n = words[i].len;
            if (starts_n(lx, s, words[i].word, n) && literal_follow(lx, s + n)) {
                set(t, words[i].type, lx, s, s + n);
                lx->pos = s + n;
                return 0;
            }
        }
        /* -?[0-9]+(\.[0-9]+)? followed by [~}\s)] */
        size_t k = s;
        if (k < lx->len && lx->src[k] == '-')
            k++;
        size_t d = k;
        while (k < lx->len && lx->src[k] >= '0' && lx->src[k] <= '9')
            k++;
        if (k > d) {
            if (k + 1 < lx->len && lx->src[k] == '.' && lx->src[k + 1] >= '0' &&
                lx->src[k + 1] <= '9') {
                k++;
                while (k < lx->len && lx->src[k] >= '0' && lx->src[k] <= '9')
                    k++;
            }
            if (literal_follow(lx, k)) {
                set(t, TK_NUMBER, lx, s, k);
                lx->pos = k;
                return 0;
            }
        }
        if (starts(lx, s, "as")) {
            size_t r = s + 2, r2 = skip_space(lx, r);
            if (r2 > r && r2 < lx->len && lx->src[r2] == '|') {
                set(t, TK_OPEN_BLOCK_PARAMS, lx, s, r2 + 1);
                lx->pos = r2 + 1;
                return 0;
            }
        }
        if (c == '|') {
            type = TK_CLOSE_BLOCK_PARAMS;
        } else if (c == '[') {
            size_t e = scan_quoted(lx, s, ']');
            if (e) {
                size_t n;
                const char *txt = unescape(lx, p, e - s, "\\]", &n);
                if (!txt)
                    return RS_ENOMEM;
                set(t, TK_ID, lx, s, e);
                /* id(): strip the brackets when the segment holds no line terminator */
                if (!memchr(txt, '\n', n) && !memchr(txt, '\r', n) && n >= 2 && txt[0] == '[' &&
                    txt[n - 1] == ']') {
                    txt++;
                    n -= 2;
                }
                t->text = txt;
                t->len = n;
                t->literal = 1;
                lx->pos = e;
                return 0;
            }
        } else {
            lex_name(lx, s, &type, &end);
        }
    }
    if (type == TK_INVALID) {
        /* one character, as the lexer's catch-all rule; keep UTF-8 sequences whole */
        size_t e = s + 1;
        while (e < lx->len && ((unsigned char)lx->src[e] & 0xC0) == 0x80)
            e++;
        end = e;
    }
    set(t, type, lx, s, end);
    lx->pos = end;
    return 0;
}

int hbs_lexer_next(hbs_lexer *lx, hbs_token *t)
{
    /* lex_mu has this one call site, so the compiler inlines it: most tokens are inside tags */
    if (lx->state != LX_MU) {
        if (lx->pos >= lx->len) {
            set(t, TK_EOF, lx, lx->len, lx->len);
            return 0;
        }
        if (lx->state != LX_INIT || !starts(lx, lx->pos, "{{"))
            return lex_content(lx, t);
        lx->state = LX_MU;
    }
    return lex_mu(lx, t);
}
