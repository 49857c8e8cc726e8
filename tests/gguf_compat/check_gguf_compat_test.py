#!/usr/bin/python3
"""Shows that check_gguf_compat.py catches what llama.cpp would reject.

Given a GGUF model that passes the checker, writes copies with one defect
each (a key of the wrong type, a misaligned or overlapping tensor offset, a
transposed or renamed tensor, a truncated file, scores of the wrong element
type, ...) and expects the checker to report each one with the right words.
A checker that passes everything would pass our models too, so this is what
makes its OK worth something.

Usage: check_gguf_compat_test.py MODEL.gguf TMPDIR
"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_gguf_compat as cc  # noqa: E402


def patched(data, at, fmt, value):
    out = bytearray(data)
    struct.pack_into("<" + fmt, out, at, value)
    return bytes(out)


def main(argv):
    model, tmp = argv
    errors = cc.check_file(model)
    if errors:
        print("FAIL: the unmodified model must pass first:\n  " +
              "\n  ".join(errors))
        return 1
    with open(model, "rb") as f:
        data = f.read()
    g = cc.parse(model, [])
    arch = g.kv["general.architecture"].value
    tensors = {t.name: t for t in g.tensors}
    k = tensors["blk.0.attn_k.weight"]
    second = g.tensors[1]

    cases = [
        ("context_length as INT32",
         patched(data, g.kv[arch + ".context_length"].type_at, "I", cc.INT32),
         "has type INT32"),
        ("rms epsilon as UINT32",
         patched(data, g.kv[arch + ".attention.layer_norm_rms_epsilon"]
                 .type_at, "I", cc.UINT32),
         "layer_norm_rms_epsilon' has type UINT32"),
        ("bos id as INT32",
         patched(data, g.kv["tokenizer.ggml.bos_token_id"].type_at, "I",
                 cc.INT32),
         "bos_token_id' has type INT32"),
        ("scores as INT32 elements",
         patched(data, g.kv["tokenizer.ggml.scores"].type_at + 4, "I",
                 cc.INT32),
         "ARRAY[FLOAT32] through a raw pointer"),
        ("second tensor offset moved by the alignment",
         patched(data, second.offset_at, "Q", second.offset + g.alignment),
         "llama.cpp expects"),
        ("second tensor offset misaligned",
         patched(data, second.offset_at, "Q", second.offset + 1),
         "not a multiple of the alignment"),
        ("attn_k transposed",
         patched(patched(data, k.dims_at, "q", k.dims[1]), k.dims_at + 8, "q",
                 k.dims[0]),
         "tensor 'blk.0.attn_k.weight' has ggml shape"),
        ("ffn_up renamed",
         data.replace(b"blk.0.ffn_up.weight", b"blk.0.ffn_uq.weight", 1),
         "missing tensor 'blk.0.ffn_up.weight'"),
        ("unclaimed tensor",
         data.replace(b"blk.0.ffn_up.weight", b"blk.0.ffn_uq.weight", 1),
         "wrong number of tensors"),
        ("truncated data", data[:-64], "ends past the end of the file"),
        ("version 1", patched(data, 4, "I", 1), "version 1"),
    ]
    failures = 0
    for i, (what, blob, expect) in enumerate(cases):
        path = os.path.join(tmp, "mutant%d.gguf" % i)
        with open(path, "wb") as f:
            f.write(blob)
        found = cc.check_file(path)
        if not any(expect in e for e in found):
            failures += 1
            print("FAIL %s: expected a problem containing %r, got %s"
                  % (what, expect, found))
        else:
            print("ok   %s" % what)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
