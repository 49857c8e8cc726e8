#!/usr/bin/python3
"""Writes the edgellm(1) manual page (roff) from the program's own help.

    make_manpage.py --binary bazel-bin/runtime/cli/edgellm --date 2025-01-31 \
        > edgellm.1

The COMMANDS section is `edgellm --help` and each `edgellm COMMAND --help`
(the flag tables of runtime/cli/, the single source of the help text), so the
page cannot drift from the program. The service's files and environment
variables, which no --help shows, are the fixed sections at the end.
The help text is the same on every architecture: to package a cross-built
binary, pass a host build of the same sources.
"""

import argparse
import re
import subprocess
import sys

# "  -m, --model STRING        GGUF model file (default: x)": the help layout
# of CommandHelp() in runtime/cli/command.cc (flag column 28 wide, long
# flags' text on the next line indented by 29).
FLAG_LINE = re.compile(
    r"^  (?:-(?P<short>\S), |    )--(?P<name>[\w-]+)"
    r"(?: (?P<kind>STRING|INT|NUMBER))?(?:\s+(?P<help>.*))?$")
CONTINUATION = " " * 29
COMMAND_LINE = re.compile(r"^  (?P<name>[\w-]+)\s+(?P<summary>.*)$")


def run_help(binary, *args):
    result = subprocess.run([binary, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit("make_manpage: `%s %s` exited %d: %s" % (
            binary, " ".join(args), result.returncode, result.stderr.strip()))
    return result.stdout


def esc(text):
    """Escapes text for roff: backslashes, dashes, a leading dot or quote."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def parse_main_help(text):
    """Returns (description line, [(command, summary)])."""
    lines = text.splitlines()
    description = next(
        (l for l in lines if l.startswith("edgellm: ")), "edgellm")
    commands, in_list = [], False
    for line in lines:
        if line == "commands:":
            in_list = True
        elif in_list and not line.strip():
            break
        elif in_list:
            m = COMMAND_LINE.match(line)
            if not m:
                sys.exit("make_manpage: unexpected line in the command list: "
                         + repr(line))
            commands.append((m["name"], m["summary"]))
    if not commands:
        sys.exit("make_manpage: `edgellm --help` listed no commands")
    return description[len("edgellm: "):], commands


def parse_command_help(name, text):
    """Returns (usage, summary, detail lines, [flag dicts])."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("usage: "):
        sys.exit("make_manpage: `edgellm %s --help` has no usage line" % name)
    try:
        flags_at = lines.index("flags:")
    except ValueError:
        sys.exit("make_manpage: `edgellm %s --help` has no flags: list" % name)
    body = lines[1:flags_at]
    while body and not body[0].strip():
        body.pop(0)
    summary = body.pop(0) if body else ""
    details = body
    flags = []
    for line in lines[flags_at + 1:]:
        if line.startswith(CONTINUATION) and flags:
            flags[-1]["help"] = (flags[-1]["help"] + " " + line.strip()).strip()
            continue
        m = FLAG_LINE.match(line)
        if not m:
            sys.exit("make_manpage: `edgellm %s --help`: unexpected flag "
                     "line %r" % (name, line))
        flags.append({"short": m["short"], "name": m["name"],
                      "kind": m["kind"], "help": m["help"] or ""})
    return lines[0][len("usage: "):], summary, details, flags


def paragraphs(lines):
    """Detail lines as roff: blank lines split paragraphs, indented lines
    (examples) stay as they are."""
    out = []
    for line in lines:
        if not line.strip():
            out.append(".PP")
        elif line.startswith("  "):
            out += [".nf", esc(line), ".fi"]
        else:
            out.append(esc(line))
    while out and out[-1] == ".PP":
        out.pop()
    return out


def flag_entry(flag):
    head = "\\fB\\-\\-%s\\fR" % esc(flag["name"])
    if flag["short"]:
        head = "\\fB\\-%s\\fR, %s" % (esc(flag["short"]), head)
    if flag["kind"]:
        head += " \\fI%s\\fR" % flag["kind"]
    return [".TP", head, esc(flag["help"])]


FIXED_SECTIONS = r"""
.SH FILES
.TP
.I /etc/edgellm/edgellm.conf
Settings of the service: one \fBedgellm serve\fR flag per
\fIKEY\fB=\fIVALUE\fR line (model path, gRPC address, token file,
threads, parallel requests, context, ...). Read by systemd; run
\fBsystemctl restart edgellm\fR after a change.
.TP
.I /lib/systemd/system/edgellm.service
The hardened unit that runs \fBedgellm serve\fR as the \fBedgellm\fR
user. Change its limits with \fBsystemctl edit edgellm\fR.
.TP
.I /var/lib/edgellm/models/
Where the default configuration looks for \fImodel.gguf\fR.
.SH ENVIRONMENT
.TP
.B EDGELLM_Q8_0_KERNEL
Picks a slower supported Q8_0 kernel (\fBref\fR, \fBavx2\fR, \fBneon\fR,
\&...); \fBedgellm version\fR lists the kernels built and chosen.
.TP
.B EDGELLM_HUGE_PAGES
\fB0\fR keeps repacked weights off transparent huge pages.
.SH EXIT STATUS
0 on success, 2 on a usage error (an unknown flag or a bad value), 1 on
any other error, which the command prints to standard error.
.SH SEE ALSO
.BR systemctl (1),
.BR journalctl (1),
.BR systemd.exec (5)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True, help="the edgellm program")
    parser.add_argument("--date", default="", help="date on the page footer")
    args = parser.parse_args()

    version_line = run_help(args.binary, "version").splitlines()[0]
    version = version_line.split()[1]
    description, commands = parse_main_help(run_help(args.binary, "--help"))

    out = [
        '.TH EDGELLM 1 "%s" "edgellm %s" "User Commands"' % (
            args.date.replace("\\", ""), esc(version)),
        ".SH NAME",
        "edgellm \\- " + esc(description),
        ".SH SYNOPSIS",
        "\\fBedgellm\\fR \\fICOMMAND\\fR [\\fIFLAGS\\fR...]",
        ".br",
        "\\fBedgellm\\fR \\fICOMMAND\\fR \\fB\\-\\-help\\fR",
        ".SH DESCRIPTION",
        "edgellm is one program with a command per job. Each command's "
        "flags, with their defaults, follow; "
        "\\fBedgellm \\fICOMMAND\\fB \\-\\-help\\fR prints the same.",
        ".SH COMMANDS",
    ]
    for name, summary in commands:
        usage, _, details, flags = parse_command_help(
            name, run_help(args.binary, name, "--help"))
        out += [".SS " + esc(name), esc(summary) + ".", ".PP",
                "\\fB" + esc(usage) + "\\fR"]
        if details:
            out += [".PP"] + paragraphs(details)
        for flag in flags:
            out += flag_entry(flag)
    out.append(FIXED_SECTIONS.strip())
    print("\n".join(out))


if __name__ == "__main__":
    main()
