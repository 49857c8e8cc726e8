#!/usr/bin/python3
"""Guest instructions executed between two marker calls, from qemu's log.

Reads, on stdin, the log of `qemu-aarch64-static -d in_asm,exec,nochain`
(every translated block's instructions, then one line per executed block:
with nochain every block goes back through the main loop and is logged)
and counts the instructions of the blocks executed after the first entry
into the begin marker and before the first entry into the end marker.

  qemu_insn_count.py BEGIN_ADDR END_ADDR     (hex, from nm)
"""
import re
import sys

IN = re.compile(r'^IN:')
INSN = re.compile(r'^0x([0-9a-f]+):\s')
TRACE = re.compile(r'^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/')


def main():
    begin, end = int(sys.argv[1], 16), int(sys.argv[2], 16)
    size = {}  # block start -> instructions (latest translation)
    tb_pc, tb_n = None, 0
    counting, count, blocks = False, 0, 0
    for line in sys.stdin:
        if IN.match(line):
            if tb_pc is not None:
                size[tb_pc] = tb_n
            tb_pc, tb_n = None, 0
            continue
        m = INSN.match(line)
        if m:
            if tb_pc is None:
                tb_pc = int(m.group(1), 16)
            tb_n += 1
            continue
        m = TRACE.match(line)
        if not m:
            continue
        if tb_pc is not None:
            size[tb_pc] = tb_n
            tb_pc, tb_n = None, 0
        pc = int(m.group(1), 16)
        if pc == begin and not counting:
            counting = True
            continue
        if pc == end and counting:
            print(f'{count} instructions in {blocks} blocks')
            return 0
        if counting:
            if pc not in size:
                print(f'block at {pc:#x} executed but never translated in the log',
                      file=sys.stderr)
                return 1
            count += size[pc]
            blocks += 1
    print('markers not found in the log', file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
