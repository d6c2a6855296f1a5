#!/usr/bin/env python3
"""Differential test: render every case in tests/differential/cases with `rosetta render` and
compare the JSON it prints with expected.json, written by the Dotprompt reference
(scripts/regen-differential.sh). Objects compare ignoring key order; numbers compare as the doubles
JavaScript reads them as (1 == 1.0, as JSON has one number type) but never equal a boolean;
everything else exactly.

    run.py ROSETTA CASES_DIR [NAME...] [-v]

Each case directory: prompt.prompt, expected.json, and optionally data.json, options.json,
schemas.json, partials/ (partial "a/b" is partials/a/_b.prompt) and an empty file `metadata`
(render the metadata: --metadata), and an empty file `stdin` (pass the prompt on standard input
with --source -). Prints one line per failure naming the case and the first
JSON path where the outputs differ, then "N passed, N failed". Exit 0 only when all pass.
Standard library only, so the test runs on a machine with just python3.
"""
import json
import os
import subprocess
import sys

TIMEOUT = 20


def kind(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if v is None:
        return "null"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def show(v, limit=200):
    s = json.dumps(v, ensure_ascii=False)
    return s if len(s) <= limit else s[:limit] + "..."


def first_difference(want, got, path="$"):
    """The first place where got differs from want, as (path, description), or None."""
    kw, kg = kind(want), kind(got)
    if kw != kg:
        return path, "expected %s %s, got %s %s" % (kw, show(want), kg, show(got))
    if kw == "object":
        for k in want:
            if k not in got:
                return "%s.%s" % (path, k), "missing (expected %s)" % show(want[k])
        for k in got:
            if k not in want:
                return "%s.%s" % (path, k), "unexpected key (got %s)" % show(got[k])
        for k in want:
            d = first_difference(want[k], got[k], "%s.%s" % (path, k))
            if d:
                return d
        return None
    if kw == "array":
        for i in range(min(len(want), len(got))):
            d = first_difference(want[i], got[i], "%s[%d]" % (path, i))
            if d:
                return d
        if len(want) != len(got):
            return path, "expected %d elements, got %d: expected %s, got %s" % (
                len(want), len(got), show(want), show(got))
        return None
    if kw == "number":
        # As JavaScript reads them: both sides become doubles (Python keeps big integers exact,
        # so 123456789012345680000 and 1.2345678901234568e+20 would otherwise differ).
        try:
            same = float(want) == float(got)
        except OverflowError:
            same = want == got
    else:
        same = want == got
    if not same:
        return path, "expected %s, got %s" % (show(want), show(got))
    return None


def command(rosetta, case_dir):
    stdin = os.path.isfile(os.path.join(case_dir, "stdin"))
    argv = [rosetta, "render", "--source", "-" if stdin else os.path.join(case_dir, "prompt.prompt")]
    for flag, name in (("--data", "data.json"), ("--options", "options.json"),
                       ("--schemas", "schemas.json")):
        if os.path.isfile(os.path.join(case_dir, name)):
            argv += [flag, os.path.join(case_dir, name)]
    if os.path.isdir(os.path.join(case_dir, "partials")):
        argv += ["--partials", os.path.join(case_dir, "partials")]
    if os.path.isfile(os.path.join(case_dir, "metadata")):
        argv.append("--metadata")
    return argv


def run_case(rosetta, case_dir):
    """None when the case passes, else a one-line reason."""
    with open(os.path.join(case_dir, "expected.json"), encoding="utf-8") as f:
        want = json.load(f)
    argv = command(rosetta, case_dir)
    stdin = None
    if os.path.isfile(os.path.join(case_dir, "stdin")):
        with open(os.path.join(case_dir, "prompt.prompt"), "rb") as f:
            stdin = f.read()
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timed out after %ds" % TIMEOUT
    err = p.stderr.decode("utf-8", "replace").strip().splitlines()
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, err[0] if err else "(no stderr)")
    if err:
        return "succeeded but wrote to stderr: %s" % err[0]
    try:
        got = json.loads(p.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return "stdout is not JSON (%s): %s" % (e, p.stdout[:200])
    d = first_difference(want, got)
    return None if d is None else "%s: %s" % d


def main(argv):
    # Rendered text may hold lone surrogates (the reference spreads strings by UTF-16 unit).
    sys.stdout.reconfigure(errors="backslashreplace")
    verbose = "-v" in argv
    args = [a for a in argv[1:] if a != "-v"]
    if len(args) < 2:
        sys.stderr.write("usage: run.py ROSETTA CASES_DIR [NAME...] [-v]\n")
        return 2
    rosetta, cases = args[0], args[1]
    names = args[2:] or sorted(n for n in os.listdir(cases)
                               if os.path.isfile(os.path.join(cases, n, "prompt.prompt")))
    passed = failed = 0
    for name in names:
        case_dir = os.path.join(cases, name)
        if not os.path.isfile(os.path.join(case_dir, "expected.json")):
            why = "no expected.json (run scripts/regen-differential.sh)"
        else:
            why = run_case(rosetta, case_dir)
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
