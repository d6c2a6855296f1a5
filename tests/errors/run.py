#!/usr/bin/env python3
"""Error cases: every malformed template, frontmatter, data file or --strict input in
tests/errors/cases must make `rosetta render` fail with exactly the expected first line of stderr
and the expected exit code, print nothing on stdout (never partial output), and, when the message
names FILE:LINE:COL, show that line of FILE and a caret under the column on the next two lines.

    run.py ROSETTA CASES_DIR [NAME...] [-v]

A case directory holds `expected` (line 1: the exit code; line 2: the exact first line of stderr)
and the inputs: prompt.prompt, data.json, options.json, schemas.json, partials/ (each passed with
its flag when present), plus `args` (extra arguments, one per line, e.g. --strict; a --source,
--data or --schemas there replaces the default one; `--source -` sends prompt.prompt on standard
input, where messages call it `<stdin>`). The command runs inside the case directory
so messages name files as `prompt.prompt`, `data.json`, `partials/_x.prompt`.
Prints one line per failure, then "N passed, N failed". Standard library only.
"""
import os
import re
import subprocess
import sys

TIMEOUT = 60
LOCATION = re.compile(r"^rosetta: (.+?):(\d+):(\d+): ")
SNIPPET_MAX = 255  # rs_error keeps at most this many bytes of the source line


def command(rosetta, case_dir):
    extra = []
    args_file = os.path.join(case_dir, "args")
    if os.path.isfile(args_file):
        with open(args_file, encoding="utf-8") as f:
            extra = [a for a in f.read().splitlines() if a]
    argv = [rosetta, "render"]
    if "--source" not in extra:
        argv += ["--source", "prompt.prompt"]
    for flag, name in (("--data", "data.json"), ("--options", "options.json"),
                       ("--schemas", "schemas.json")):
        if flag not in extra and os.path.isfile(os.path.join(case_dir, name)):
            argv += [flag, name]
    if "--partials" not in extra and os.path.isdir(os.path.join(case_dir, "partials")):
        argv += ["--partials", "partials"]
    return argv + extra


def snippet_problem(case_dir, first, lines):
    """Check the source line and caret that follow a FILE:LINE:COL message; None when fine."""
    m = LOCATION.match(first)
    if not m:
        return None
    path, line, col = m.group(1), int(m.group(2)), int(m.group(3))
    full = os.path.join(case_dir, path)
    if line < 1 or col < 1 or not os.path.isfile(full):
        return None
    with open(full, "rb") as f:
        src_lines = re.split(rb"\r\n|\r|\n", f.read())
    if line > len(src_lines):
        return "line %d is past the end of %s" % (line, path)
    src = src_lines[line - 1]
    if len(src) > SNIPPET_MAX:
        return None
    if not src and line == len(src_lines):
        return None  # the end of a file that ends with a newline: an empty line, nothing to show
    want_src = "    " + src.decode("utf-8", "replace")
    want_caret = "    " + " " * (min(col, len(src) + 1) - 1) + "^"
    got_src = lines[1] if len(lines) > 1 else "(missing)"
    got_caret = lines[2] if len(lines) > 2 else "(missing)"
    if got_src != want_src or got_caret != want_caret:
        return "source line and caret: expected %r / %r, got %r / %r" % (
            want_src, want_caret, got_src, got_caret)
    return None


def run_case(rosetta, case_dir):
    with open(os.path.join(case_dir, "expected"), encoding="utf-8") as f:
        exp = f.read().split("\n")
    want_exit, want_first = int(exp[0]), exp[1]
    argv = command(rosetta, case_dir)
    stdin = None
    if "-" in argv and argv[argv.index("-") - 1] == "--source":
        with open(os.path.join(case_dir, "prompt.prompt"), "rb") as f:
            stdin = f.read()
    try:
        p = subprocess.run(argv, cwd=case_dir, input=stdin, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timed out after %ds" % TIMEOUT
    lines = p.stderr.decode("utf-8", "replace").split("\n")
    first = lines[0]
    problems = []
    if p.returncode != want_exit:
        problems.append("exit: expected %d, got %d" % (want_exit, p.returncode))
    if first != want_first:
        problems.append("stderr: expected %r, got %r" % (want_first, first))
    if p.stdout:
        problems.append("stdout not empty: %r" % p.stdout[:120])
    if re.search(r"(AddressSanitizer|runtime error:|LeakSanitizer)", p.stderr.decode("utf-8", "replace")):
        problems.append("sanitizer report on stderr")
    if first == want_first:
        sp = snippet_problem(case_dir, first, lines)
        if sp:
            problems.append(sp)
    return "; ".join(problems) or None


def main(argv):
    # Rendered text may hold lone surrogates (the reference spreads strings by UTF-16 unit).
    sys.stdout.reconfigure(errors="backslashreplace")
    verbose = "-v" in argv
    args = [a for a in argv[1:] if a != "-v"]
    if len(args) < 2:
        sys.stderr.write("usage: run.py ROSETTA CASES_DIR [NAME...] [-v]\n")
        return 2
    rosetta, cases = os.path.abspath(args[0]), args[1]
    names = args[2:] or sorted(n for n in os.listdir(cases)
                               if os.path.isfile(os.path.join(cases, n, "expected")))
    passed = failed = 0
    for name in names:
        why = run_case(rosetta, os.path.join(cases, name))
        if why is None:
            passed += 1
            if verbose:
                print("ok   %s" % name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, why))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
