#!/usr/bin/python3
"""Reads edgellm.service and edgellm.conf the way systemd does, for the tests.

    unit_command.py check UNIT CONF SERVE_HELP
        The unit, the conffile and the program agree: the conffile and the
        unit's Environment= defaults have the same keys and values, ExecStart
        uses every key and no other variable, and every --flag it passes is
        one `edgellm serve --help` lists. Prints what it checked.
    unit_command.py argv UNIT CONF [KEY=VALUE...]
        The command line systemd would run (one argument per line), with the
        conffile over the unit's defaults and the KEY=VALUEs over both.

Expansion follows systemd.service(5), "Command lines": a word "${KEY}" is
one argument holding the value as it is (empty too); a word "$KEY" is the
value split at whitespace (no argument when empty). EnvironmentFile lines
are KEY=VALUE, "#" or ";" start comments, and matching quotes are removed
(systemd.exec(5), EnvironmentFile=).
"""

import re
import shlex
import sys

WHOLE_BRACED = re.compile(r"^\$\{(\w+)\}$")
WHOLE_BARE = re.compile(r"^\$(\w+)$")
ANY_VAR = re.compile(r"\$\{(\w+)\}|\$(\w+)")
FLAG = re.compile(r"^\s+(?:-\S, )?--([\w-]+)")


def unquote(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def read_conf(path):
    values = {}
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            key, eq, value = line.partition("=")
            if not eq or not re.fullmatch(r"\w+", key.strip()):
                sys.exit("%s:%d: not KEY=VALUE: %r" % (path, number, line))
            values[key.strip()] = unquote(value.strip())
    return values


def read_unit(path):
    """Returns ([Service] Environment= assignments, ExecStart words)."""
    section, environment, exec_start = "", {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = line
                continue
            if section != "[Service]":
                continue
            key, _, value = line.partition("=")
            if key == "Environment":
                for word in shlex.split(value):
                    name, _, v = word.partition("=")
                    environment[name] = v
            elif key == "ExecStart":
                if exec_start is not None:
                    sys.exit("%s: more than one ExecStart=" % path)
                exec_start = shlex.split(value)
    if not exec_start:
        sys.exit("%s: no ExecStart= in [Service]" % path)
    return environment, exec_start


def expand(words, env):
    argv = []
    for word in words:
        braced, bare = WHOLE_BRACED.match(word), WHOLE_BARE.match(word)
        if braced:
            argv.append(env.get(braced[1], ""))
        elif bare:
            argv += env.get(bare[1], "").split()
        else:
            argv.append(ANY_VAR.sub(
                lambda m: env.get(m[1] or m[2], ""), word))
    return argv


def check(unit_path, conf_path, help_path):
    defaults, words = read_unit(unit_path)
    conf = read_conf(conf_path)
    with open(help_path) as f:
        serve_flags = {m[1] for m in map(FLAG.match, f) if m}
    errors = []
    if set(conf) != set(defaults):
        errors.append("keys only in the conffile: %s; only in the unit's "
                      "Environment=: %s" % (sorted(set(conf) - set(defaults)),
                                             sorted(set(defaults) - set(conf))))
    for key in sorted(set(conf) & set(defaults)):
        if conf[key] != defaults[key]:
            errors.append("%s is %r in the conffile but %r in the unit" % (
                key, conf[key], defaults[key]))
    used = {m[1] or m[2] for w in words for m in ANY_VAR.finditer(w)}
    if used != set(conf):
        errors.append("ExecStart uses %s; the conffile has %s" % (
            sorted(used), sorted(conf)))
    if words[:2] != ["/usr/bin/edgellm", "serve"]:
        errors.append("ExecStart does not run /usr/bin/edgellm serve: %s"
                      % words[:2])
    passed = [w[2:] for w in words if w.startswith("--")]
    unknown = [f for f in passed if f not in serve_flags]
    if unknown:
        errors.append("ExecStart passes flags `edgellm serve` lacks: %s"
                      % unknown)
    if errors:
        sys.exit("unit_command: " + "\n  ".join(errors))
    print("unit_command: %d conffile keys = the unit's defaults, all used by "
          "ExecStart; its %d flags are all in `edgellm serve --help`"
          % (len(conf), len(passed)))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        check(*sys.argv[2:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "argv":
        defaults, words = read_unit(sys.argv[2])
        env = {**defaults, **read_conf(sys.argv[3])}
        for assignment in sys.argv[4:]:
            key, _, value = assignment.partition("=")
            env[key] = value
        print("\n".join(expand(words, env)))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
