#!/usr/bin/env python3
"""Random differential testing: generate templates from a grammar of what Dotprompt uses (text with
whitespace and unicode, paths, @data variables, every helper, nested blocks with else, ~ control,
standalone lines, comments, partials with context and hash, frontmatter, CRLF), render each with the reference (one node process,
random_ref.mjs) and with `rosetta render`, and report every case whose results differ, or where one
fails and the other does not. Not a ctest (it needs node); a tool to find cases the hand-written
corpus misses. Each mismatch is saved as a case directory (prompt.prompt, data.json, expected.json
or expected-error.txt) ready to be reviewed and promoted to cases/.

    random.py ROSETTA [--count N] [--seed S] [--out DIR] [--mutate] [--yaml]

--mutate damages each generated template (deletes, duplicates or inserts a few of `{{ }} # / ~ ( ) " ^ >`
and such) so many no longer parse: then both must fail, and where the reference still renders,
Rosetta must render the same. --yaml generates frontmatter instead (YAML 1.2 core typing of
every scalar spelling, block and flow collections, multi-line strings, anchors, ext keys): the
rendered metadata (config, ext, raw, ...) must be equal.
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import first_difference  # noqa: E402

HISTORY = [{"role": "user", "content": [{"text": "earlier"}]},
           {"role": "model", "content": [{"text": "reply"}]}]
DATA = {
    "input": {
        "name": "Ana", "n": 3, "zero": 0, "f": 0.1, "big": 1e21, "neg": -0.0, "frac": 0.30000000000000004,
        "t": True, "no": False, "nil": None, "s": "a b  c", "u": "h\u00e9llo \U0001F44B \u05e2\u05d1",
        "ws": "  \n ", "xs": [1, "two", {"k": "v"}], "empty": [], "eo": {},
        "obj": {"b": 1, "10": 2, "a": [3, 4], "2": {"deep": "d"}},
        "people": [{"name": "A", "age": 1, "tags": ["x"]}, {"name": "B", "age": 2, "tags": []}],
        "url": "https://x.test/a.png", "role": "model", "k": "a",
    },
    "context": {"state": {"user": "u1"}},
    "messages": HISTORY,
}
PATHS = ["name", "n", "zero", "f", "big", "neg", "frac", "t", "no", "nil", "s", "u", "ws", "xs",
         "empty", "eo", "obj", "obj.a", "obj.[2].deep", "obj.b", "people", "people.[0].name",
         "missing", "this", ".", "@root.name", "@root.n", "@index", "@key", "@first", "@last",
         "@state.user", "../name", "name.length", "k", "this.name", "tags", "age"]
ITERABLES = ["xs", "empty", "eo", "obj", "people", "obj.a", "missing", "s", "n", "tags", "@root.xs"]
TEXTS = ["Hello ", " ", "\n", "  \n", "\t", "x", "\u00e9", "\U0001F44B", "\u00a0", "\r\n", "word word",
         ": ", "<b>&", "\n\n", "  ", "}", "{", "\\", "\u3000", "\u05e9\u05dc\u05d5\u05dd", "\u2028",
         "\ufeff", "\u180e", "\u200b", "e\u0301", "\r", "\v\f"]
# Partials, as files partials/_p.prompt etc. for rosetta and a resolver for the reference.
PARTIALS = {"p": "[{{name}}|{{this.a}}|{{x}}]", "dir/q": "{{#each xs}}{{@index}}{{/each}}{{> p}}",
            "lines": "l1 {{name}}\n  l2\n", "r": '{{role "system"}}sys {{name}}'}
LITERALS = ['"a"', "'A'", "1", "0", "true", "false", "null", '"model"', "3", '""']


class Gen:
    def __init__(self, rng):
        self.r = rng

    def tilde(self):
        return "~" if self.r.random() < 0.2 else ""

    def path(self):
        return self.r.choice(PATHS)

    def arg(self):
        return self.r.choice(PATHS) if self.r.random() < 0.7 else self.r.choice(LITERALS)

    def mustache(self):
        r = self.r.random()
        t1, t2 = self.tilde(), self.tilde()
        if r < 0.55:
            return "{{%s%s%s}}" % (t1, self.path(), t2)
        if r < 0.65:
            return "{{{%s}}}" % self.path()
        if r < 0.72:
            return "{{%s! note %s}}" % (t1, t2)
        if r < 0.78:
            return "{{%sjson %s%s%s}}" % (t1, self.arg(), self.r.choice(["", " indent=2", " indent=1"]), t2)
        if r < 0.84:
            return '{{role "%s"}}' % self.r.choice(["system", "user", "model", "tool"])
        if r < 0.87:
            return "{{history}}"
        if r < 0.91:
            return self.r.choice(['{{media url=url}}', '{{media url="https://x.test/b.jpg" contentType="image/jpeg"}}'])
        if r < 0.94:
            return '{{section "%s"}}' % self.r.choice(["output", "ctx"])
        if r < 0.955:
            return self.r.choice(["{{> p}}", "{{> p obj}}", "{{> p x=1}}", "{{> p obj x=name}}", "{{> dir/q}}",
                                  "\n  {{> lines}}\n", "{{> r}}", "{{> lines}}"])
        if r < 0.97:
            return "{{lookup %s %s}}" % (self.r.choice(["obj", "people", "this", "xs"]), self.arg())
        return "{{json (lookup %s %s)}}" % (self.r.choice(["obj", "people", "this", "xs"]), self.arg())

    def block(self, depth):
        r = self.r.random()
        if r < 0.08:  # a bare section or an inverted section over a value
            p, c = self.r.choice(ITERABLES + ["t", "no", "nil", "zero", "name"]), self.r.choice("#^")
            return "{{%s%s}}%s{{/%s}}" % (c, p, self.seq(depth + 1), p)
        if r < 0.14:  # else-if chains and {{^}} as else
            return "{{#if %s}}%s{{else if %s}}%s{{^}}%s{{/if}}" % (
                self.arg(), self.seq(depth + 1), self.arg(), self.seq(depth + 1), self.seq(depth + 1))
        if r < 0.19:  # block params and parent data
            return "{{#each %s as |it i|}}{{i}}={{it}}{{@../index}}%s{{/each}}" % (
                self.r.choice(ITERABLES), self.seq(depth + 1))
        kind = self.r.choice(["if", "unless", "each", "with", "ifEquals", "unlessEquals", "if", "each"])
        if kind in ("each", "with"):
            args = self.r.choice(ITERABLES)
        elif kind in ("ifEquals", "unlessEquals"):
            args = "%s %s" % (self.arg(), self.arg())
        else:
            args = self.arg()
        standalone = self.r.random() < 0.4
        indent = self.r.choice(["", "  ", "\t"]) if standalone else ""
        nl = "\n" if standalone else ""
        open_ = "%s{{%s#%s %s%s}}%s" % (indent, self.tilde(), kind, args, self.tilde(), nl)
        body = self.seq(depth + 1)
        els = ""
        if self.r.random() < 0.35:
            els = "%s{{%selse%s}}%s%s" % (indent, self.tilde(), self.tilde(), nl, self.seq(depth + 1))
        close = "%s{{%s/%s%s}}%s" % (indent, self.tilde(), kind, self.tilde(), nl)
        return (nl if standalone else "") + open_ + body + (nl if standalone and not body.endswith("\n") else "") + els + close

    def seq(self, depth):
        out = []
        for _ in range(self.r.randint(0, 5 if depth < 3 else 2)):
            r = self.r.random()
            if r < 0.4:
                out.append(self.r.choice(TEXTS))
            elif r < 0.8 or depth >= 4:
                out.append(self.mustache())
            else:
                out.append(self.block(depth))
        return "".join(out)

    def source(self):
        body = self.seq(0)
        if self.r.random() < 0.3:
            fm = self.r.choice(["model: m/x\nconfig: {t: 1}\n", "ext.k: v\n", "input:\n  schema:\n    name: string\n",
                                "a.b.c: [yes, no, 1.0, ~, 0x10, '07']\nconfig:\n  s: |\n    two\n    lines\n",
                                "output:\n  schema:\n    x?(enum, e): [a, b]\n    y(array): {z: integer}\n"])
            src = "---\n" + fm + "---\n" + body
        else:
            src = body
        if self.r.random() < 0.1:
            src = src.replace("\r\n", "\n").replace("\n", "\r\n")
        return src


# Frontmatter YAML: scalars in every spelling the 1.2 core schema types differently from YAML 1.1
# or from JSON, in block and flow collections, with comments, anchors and multi-line strings.
YAML_SCALARS = ["yes", "no", "on", "off", "y", "n", "true", "True", "TRUE", "false", "FALSE", "null", "Null",
                "NULL", "~", "''", '""', "0", "-0", "+0", "0.0", "-0.0", "1.0", "1e3", "1E3", "1e+3", "1e-3", ".5",
                "-.5", "5.", "0x1F", "0x1f", "0o17", "017", "0b101", "1_000", ".inf", "-.inf", "+.inf", ".NaN",
                ".nan", ".Inf", "2001-12-14", "12:30:45", "1:20", '"quoted \\" esc"', "'single '' quote'",
                "plain with spaces", "\u00e9t\u00e9", "\U0001F600", '"#not a comment"', "x # a comment", "a:b",
                '"\\u00e9"', '"\\x41"', "'\\n'", "123abc", "1.2.3", "+1", "-1", "007", "0.1e-2", "1e400",
                "-1e400", "9007199254740993", "12345678901234567890", "true false", "0.30000000000000004",
                "1.7976931348623157e308", "5e-324", "-", "- ", "@", "`x`", "|x",
                '"a\\tb"', "'a\\tb'", "[]", "{}", "[a, b]", "{a: 1, b: [2, 3]}", "[1, 'two', \"3\", ~]"]
YAML_KEYS = ["a", "b", "name", "k1", "'quoted key'", '"dq key"', "1", "2", "10", "01", "true", "null", "key with space",
             "\u00e9", "x.y", "a.b.c"]


class YamlGen:
    def __init__(self, rng):
        self.r = rng

    def scalar(self):
        return self.r.choice(YAML_SCALARS)

    def value(self, indent, depth):
        r = self.r.random()
        pad = " " * (indent + 2)
        if depth < 2 and r < 0.15:
            items = "".join("\n%s- %s" % (pad, self.scalar()) for _ in range(self.r.randint(1, 3)))
            return items
        if depth < 2 and r < 0.3:
            return "".join("\n%s%s:%s" % (pad, k, self.value(indent + 2, depth + 1))
                           for k in self.r.sample(YAML_KEYS, self.r.randint(1, 3)))
        if r < 0.36:
            return " " + self.r.choice(["|", ">", "|-", ">-", "|+"]) + "".join(
                "\n%s%s" % (pad, self.r.choice(["line one", "  more", "", "last"])) for _ in range(3))
        if r < 0.4:
            return " &anc " + self.scalar()
        return " " + self.scalar()

    def source(self):
        lines = []
        if self.r.random() < 0.5:
            lines.append("model: " + self.scalar())
        lines.append("config:" + self.value(0, 0) if self.r.random() < 0.5 else
                     "config:" + "".join("\n  %s:%s" % (k, self.value(2, 1))
                                         for k in self.r.sample(YAML_KEYS, self.r.randint(1, 4))))
        for k in self.r.sample(["my.ext", "a.b.c", "x.y", "other", "name", "description", "version"], self.r.randint(0, 3)):
            lines.append("%s:%s" % (k, self.value(0, 1)))
        if self.r.random() < 0.2:
            lines.append("# a comment line")
        fm = "\n".join(lines)
        if "&anc" in fm and self.r.random() < 0.5:
            fm += "\nalias.copy: *anc"
        return "---\n" + fm + "\n---\nbody {{@metadata.prompt.config}}"


MUTATIONS = ["{{", "}}", "{", "}", "#", "/", "~", "(", ")", '"', "^", ">", "!", "--", "else", "@", ".", "..", "=", " ", "\n", "|", "[", "]", "&", "*"]


def mutate(rng, src):
    for _ in range(rng.randint(1, 3)):
        i = rng.randint(0, len(src))
        op = rng.random()
        if op < 0.4 and src:
            j = min(len(src), i + rng.randint(1, 3))
            src = src[:i] + src[j:]
        elif op < 0.6 and src:
            j = min(len(src), i + rng.randint(1, 6))
            src = src[:i] + src[i:j] + src[i:]
        else:
            src = src[:i] + rng.choice(MUTATIONS) + src[i:]
    return src


def write_partials(tmp):
    root = os.path.join(tmp, "partials")
    for name, src in PARTIALS.items():
        d, b = os.path.split(name)
        os.makedirs(os.path.join(root, d), exist_ok=True)
        with open(os.path.join(root, d, "_%s.prompt" % b), "w", encoding="utf-8") as f:
            f.write(src)
    return root


def render_ours(rosetta, tmp, i, source, data):
    sp, dp = os.path.join(tmp, "%d.prompt" % i), os.path.join(tmp, "%d.json" % i)
    with open(sp, "w", encoding="utf-8", newline="") as f:
        f.write(source)
    with open(dp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    p = subprocess.run([rosetta, "render", "--source", sp, "--data", dp, "--partials",
                        os.path.join(tmp, "partials")], capture_output=True, timeout=30)
    if p.returncode != 0:
        return None, p.stderr.decode("utf-8", "replace").split("\n")[0]
    return json.loads(p.stdout.decode("utf-8")), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rosetta")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "rosetta-random-diff"))
    ap.add_argument("--mutate", action="store_true")
    ap.add_argument("--yaml", action="store_true", help="frontmatter-heavy templates (YAML typing)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    gen = Gen(rng)
    if a.yaml:
        gen = YamlGen(rng)
    cases = [{"source": gen.source(), "data": DATA} for _ in range(a.count)]
    if a.mutate:
        for c in cases:
            c["source"] = mutate(rng, c["source"])
    mismatches = both_fail = 0
    with tempfile.TemporaryDirectory() as tmp:
        inp, outp = os.path.join(tmp, "in.json"), os.path.join(tmp, "out.json")
        write_partials(tmp)
        with open(inp, "w", encoding="utf-8") as f:
            json.dump({"partials": PARTIALS, "cases": cases}, f)
        subprocess.run(["node", os.path.join(HERE, "random_ref.mjs"), inp, outp], check=True)
        with open(outp, encoding="utf-8") as f:
            refs = json.load(f)
        for i, (c, ref) in enumerate(zip(cases, refs)):
            got, err = render_ours(a.rosetta, tmp, i, c["source"], c["data"])
            why = None
            if "error" in ref and err is None:
                why = "reference fails (%s), rosetta renders" % ref["error"].split("\n")[0]
            elif "ok" in ref and err is not None:
                why = "reference renders, rosetta fails: %s" % err
            elif "ok" in ref:
                d = first_difference(ref["ok"], got)
                why = d and "%s: %s" % d
            else:
                both_fail += 1
                if not err.startswith("rosetta: ") or "AddressSanitizer" in err or "runtime error" in err:
                    why = "both fail, but rosetta's message is malformed: %s" % err
            if why:
                mismatches += 1
                d = os.path.join(a.out, "random-%d-%d" % (a.seed, i))
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, "prompt.prompt"), "w", encoding="utf-8", newline="") as f:
                    f.write(c["source"])
                with open(os.path.join(d, "data.json"), "w", encoding="utf-8") as f:
                    json.dump(c["data"], f, ensure_ascii=False, indent=1)
                shutil.copytree(os.path.join(tmp, "partials"), os.path.join(d, "partials"), dirs_exist_ok=True)
                if "ok" in ref:
                    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as f:
                        json.dump(ref["ok"], f, indent=2)  # ASCII: a lone surrogate must survive
                else:
                    with open(os.path.join(d, "expected-error.txt"), "w", encoding="utf-8") as f:
                        f.write(ref["error"] + "\n")
                print(ascii("MISMATCH %s: %s" % (d, why)) + "\n    source: " + ascii(c["source"][:300]))
    print("%d generated, %d agree (%d of them fail on both sides), %d differ (seed %d%s)" % (
        a.count, a.count - mismatches, both_fail, mismatches, a.seed, ", mutated" if a.mutate else ""))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
