/*
 * templates/frontmatter.h - splitting a .prompt source into YAML frontmatter and template body,
 * exactly as the Dotprompt reference does (dotprompt 1.1.2, parse.ts):
 *
 *   /^---\s*(?:\r\n|\r|\n)([\s\S]*?)(?:\r\n|\r|\n)---\s*(?:\r\n|\r|\n)([\s\S]*)$/
 *
 * When the expression matches and the frontmatter text is not empty, the template is the body
 * trimmed with JavaScript's String.prototype.trim; otherwise the template is the whole source,
 * untrimmed, and there is no frontmatter. `\s` and trim use JavaScript's white space (Unicode
 * spaces and line terminators included), so the helpers for it live here too.
 */
#ifndef RS_TEMPLATES_FRONTMATTER_H
#define RS_TEMPLATES_FRONTMATTER_H

#include <stddef.h>

typedef struct rs_frontmatter {
    int has_frontmatter; /* 1: yaml is the frontmatter text (not empty) */
    size_t yaml_off;     /* byte offset of the frontmatter text in the source */
    size_t yaml_len;
    size_t body_off; /* byte offset of the template in the source */
    size_t body_len;
} rs_frontmatter;

/* Split (src, len). Never fails: a source without frontmatter is all template. */
void rs_frontmatter_split(rs_frontmatter *out, const char *src, size_t len);

/* Length in bytes of the JavaScript white-space character (\s) at s[i], 0 when there is none. */
size_t rs_js_space_at(const char *s, size_t len, size_t i);

/* Trim (s, *len) as String.prototype.trim does: *off is the offset of the first kept byte. */
void rs_js_trim(const char *s, size_t len, size_t *off, size_t *out_len);

/* 1 when (s, len) is empty or only JavaScript white space (`s.trim() === ""`). */
int rs_js_is_blank(const char *s, size_t len);

#endif
