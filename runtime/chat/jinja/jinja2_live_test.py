#!/usr/bin/env python3
"""Live comparison of our Jinja interpreter with Python's Jinja2.

Renders the hand-written cases of testdata/live_cases.txt plus a seeded set of
randomly generated expressions with Jinja2 (set up the way Hugging Face's
apply_chat_template sets it up) and with render_cases (our interpreter), and
compares outputs byte for byte and errors as "Type: message".

  jinja2_live_test.py RENDER_CASES_BINARY CASES_TXT [--random N] [--seed S]

Case file format: blocks that start with a line "=== NAME"; the block's text
up to the next header (its last newline dropped) is the template. A block
named "context" holds the JSON context every case gets. Needs Debian's
python3-jinja2 (tools/setup.sh installs it).
"""

import argparse
import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile

try:
    import jinja2
    import jinja2.ext
    import jinja2.nodes
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError:
    sys.stderr.write("python3-jinja2 is missing: run tools/setup.sh\n")
    sys.exit(1)

NOW = datetime.datetime(2026, 7, 26, 12, 0, 0)


class Generation(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} as a call block returning its body."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_body"), [], [], body).set_lineno(lineno)

    def _body(self, caller):
        return caller()


def make_env():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True,
        extensions=[Generation, jinja2.ext.loopcontrols])

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                          separators=separators, sort_keys=sort_keys)

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = NOW.strftime
    return env


def render(env, source, context):
    try:
        return {"output": env.from_string(source).render(**context)}
    except Exception as exc:  # noqa: BLE001 - every Jinja2 failure is a result
        return {"error": "%s: %s" % (type(exc).__name__, exc)}


def read_cases(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    cases, context = [], {}
    name, lines = None, []

    def flush():
        if name is None:
            return
        body = "\n".join(lines)
        if name == "context":
            context.update(json.loads(body))
        else:
            cases.append({"name": name, "template": body})

    for line in text.split("\n"):
        if line.startswith("=== "):
            flush()
            name, lines = line[4:].strip(), []
        elif name is not None:
            lines.append(line)
    flush()
    return cases, context


# ---- random expressions ----

STRINGS = ["", "a", "abc", " padded  ", "Hello World", "it's", 'say "hi"', "x,y,,z",
           "한국어 😀", "line1\nline2", "tab\there", "UPPER lower", "3", "-7", "2.5",
           "back\\slash", "a-b c(d)"]
FILTERS0 = ["length", "upper", "lower", "trim", "string", "int", "float", "list", "first",
            "last", "reverse", "sort", "unique", "abs", "round", "capitalize", "title",
            "wordcount", "tojson", "items", "dictsort", "count", "safe", "e", "center",
            "sum", "min", "max", "pprint", "striptags"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping",
         "iterable", "sequence", "boolean", "true", "false", "callable", "odd", "even",
         "lower", "upper"]
METHODS = ["strip()", "upper()", "split()", "split(',')", "startswith('a')", "endswith('c')",
           "replace('a', 'b')", "find('b')", "count('a')", "lstrip('a')", "rstrip()",
           "title()", "splitlines()", "rsplit(' ', 1)", "partition(' ')", "zfill(5)",
           "center(9, '*')", "isdigit()", "format(1, 'x')", "ljust(6)"]
DICT_METHODS = ["items()|list", "keys()|list", "values()|list", "get('a')", "get('zz', 0)"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def atom(self):
        r = self.r
        k = r.randrange(12)
        if k == 0:
            return str(r.choice([0, 1, 2, 3, 7, -4, 10, 255, 1000000]))
        if k == 1:
            return r.choice(["0.5", "1.0", "2.25", "-3.75", "1e3", "1e-7", "0.1", "100.0"])
        if k == 2:
            return repr(r.choice(STRINGS))
        if k == 3:
            return r.choice(["true", "false", "none"])
        if k == 4:
            return r.choice(["n", "f", "s", "u", "l", "d", "nested", "missing", "empty",
                             "words", "people"])
        if k == 5:
            return "[%s]" % ", ".join(self.atom() for _ in range(r.randrange(4)))
        if k == 6:
            keys = r.sample(["'a'", "'b'", "'k'", "'z'"], r.randrange(3))
            return "{%s}" % ", ".join("%s: %s" % (key, self.atom()) for key in keys)
        if k == 7:
            return "(%s,)" % self.atom()
        if k == 8:
            return r.choice(["l[0]", "l[-1]", "l[1:]", "l[::-1]", "s[1:3]", "s[::2]",
                             "d.a", "d['k']", "d.items", "nested.x.y", "people[0].name",
                             "l[5]", "s[-1]", "l[1:2:0]"])
        if k == 9:
            return "range(%d)" % r.randrange(5)
        return "(%s)" % self.expr(1)

    def expr(self, depth=0):
        r = self.r
        if depth >= 3:
            return self.atom()
        k = r.randrange(14)
        a = self.expr(depth + 1)
        if k == 0:
            op = r.choice(["+", "-", "*", "/", "//", "%", "~"])
            return "%s %s %s" % (a, op, self.expr(depth + 1))
        if k == 1:
            op = r.choice(["==", "!=", "<", ">", "<=", ">=", "in", "not in"])
            return "%s %s %s" % (a, op, self.expr(depth + 1))
        if k == 2:
            return "%s %s %s" % (a, r.choice(["and", "or"]), self.expr(depth + 1))
        if k == 3:
            return "not %s" % a
        if k == 4:
            return "%s if %s else %s" % (a, self.expr(depth + 1), self.expr(depth + 1))
        if k == 5:
            return "%s|%s" % (self.atom(), r.choice(FILTERS0))
        if k == 6:
            return "(%s) is %s%s" % (a, r.choice(["", "not "]), r.choice(TESTS))
        if k == 7:
            return "%s.%s" % (self.atom(), r.choice(METHODS))
        if k == 8:
            return "d.%s" % r.choice(DICT_METHODS)
        if k == 9:
            return "%s|join(%s)" % (self.atom(), repr(r.choice([", ", "", "-"])))
        if k == 10:
            return "%s|default(%s)" % (r.choice(["missing", "n", "none", "''"]), self.atom())
        if k == 11:
            return "(%s)|tojson(%s)" % (a, r.choice(["", "indent=2", "sort_keys=true",
                                                     "ensure_ascii=true"]))
        if k == 12:
            return "%s|replace(%s, %s)" % (a, repr(r.choice(["a", " ", ""])), repr("_"))
        return "-%s" % self.atom()


class StatementGen:
    """Random statement structures with random whitespace and -/+ markers
    around the tags (the lexer's trim_blocks / lstrip_blocks paths)."""

    TEXT = ["", " ", "  ", "\n", "\n  ", "\t", "x", "a b", "\n\n", "  \n", " y\n"]

    def __init__(self, seed):
        self.r = random.Random(seed)
        self.exprs = Gen(seed + 1)

    def text(self):
        return "".join(self.r.choice(self.TEXT) for _ in range(self.r.randrange(3)))

    def tag(self, body):
        r = self.r
        left = r.choice(["", "", "-", "+"])
        right = r.choice(["", "", "-", "+"])
        return "{%%%s %s %s%%}" % (left, body, right)

    def out(self):
        r = self.r
        left, right = r.choice(["", "-"]), r.choice(["", "-"])
        return "{{%s %s %s}}" % (left, self.exprs.atom(), right)

    def block(self, depth):
        r = self.r
        parts = []
        for _ in range(r.randrange(1, 4)):
            parts.append(self.text())
            k = r.randrange(8 if depth < 3 else 3)
            if k == 0:
                parts.append(self.out())
            elif k == 1:
                parts.append("{#%s c %s#}" % (r.choice(["", "-"]), r.choice(["", "-"])))
            elif k == 2:
                parts.append(self.tag("set v%d = %s" % (r.randrange(3), self.exprs.atom())))
            elif k == 3:
                parts.append(self.tag("if %s" % self.exprs.atom()) + self.block(depth + 1))
                if r.randrange(2):
                    parts.append(self.tag("elif %s" % self.exprs.atom()) + self.block(depth + 1))
                if r.randrange(2):
                    parts.append(self.tag("else") + self.block(depth + 1))
                parts.append(self.tag("endif"))
            elif k == 4:
                parts.append(self.tag("for it in %s" % r.choice(["l", "s", "d", "people", "empty",
                                                                  "range(3)", "u"])))
                parts.append(self.block(depth + 1) + "{{ loop.index }}{{ it }}")
                if r.randrange(3) == 0:
                    parts.append(self.tag("else") + self.block(depth + 1))
                parts.append(self.tag("endfor"))
            elif k == 5:
                parts.append(self.tag("macro m%d(a, b=%s)" % (depth, self.exprs.atom())) +
                             self.block(depth + 1) + "{{ a }}{{ b }}" + self.tag("endmacro"))
                parts.append("{{ m%d(%s) }}" % (depth, self.exprs.atom()))
            elif k == 6:
                parts.append(self.tag("set blk") + self.block(depth + 1) + self.tag("endset") +
                             "[{{ blk }}]")
            else:
                parts.append(self.tag("filter upper") + self.block(depth + 1) +
                             self.tag("endfilter"))
            parts.append(self.text())
        return "".join(parts)


def random_cases(n, seed):
    g = Gen(seed)
    cases = [{"name": "random_%d" % i, "template": "{{ %s }}" % g.expr()} for i in range(n)]
    st = StatementGen(seed)
    cases += [{"name": "random_block_%d" % i, "template": st.block(0)} for i in range(n // 2)]
    return cases


def main():
    p = argparse.ArgumentParser()
    p.add_argument("renderer")
    p.add_argument("cases")
    p.add_argument("--random", type=int, default=600)
    p.add_argument("--seed", type=int, default=15)
    args = p.parse_args()

    cases, context = read_cases(args.cases)
    cases += random_cases(args.random, args.seed)
    env = make_env()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False,
                                     encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(dict(c, context=context), ensure_ascii=False) + "\n")
        path = f.name
    try:
        out = subprocess.run([args.renderer, path], check=True, capture_output=True).stdout
    finally:
        os.unlink(path)
    ours = [json.loads(line) for line in out.decode("utf-8").split("\n") if line]
    if len(ours) != len(cases):
        print("renderer printed %d results for %d cases" % (len(ours), len(cases)))
        return 1
    failed = skipped = 0
    for c, got in zip(cases, ours):
        want = render(env, c["template"], context)
        if re.search(r"0_?x(_?[0-9a-f]){6,}", want.get("output", ""), re.IGNORECASE):
            # Python printed an object's address (a generator, a method).
            skipped += 1
            continue
        if got.get("error", "").startswith("LimitExceeded:"):
            # Our render limits (e.g. a list of millions of items) are not
            # Jinja2's.
            skipped += 1
            continue
        if want.get("output") != got.get("output") or want.get("error") != got.get("error"):
            failed += 1
            print("MISMATCH %s\n  template: %r\n  jinja2:   %r\n  ours:     %r" %
                  (c["name"], c["template"], want, {k: v for k, v in got.items() if k != "name"}))
    print("%d passed, %d failed, %d skipped" % (len(cases) - failed - skipped, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
