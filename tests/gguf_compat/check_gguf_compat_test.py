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


def encoder_cases(data, g, arch, tensors):
    """Defects of bert / nomic-bert files llama.cpp's bert loader rejects."""
    a = arch + "."
    norm = tensors["token_embd_norm.bias"]
    cases = [
        ("layer norm epsilon as UINT32",
         patched(data, g.kv[a + "attention.layer_norm_epsilon"].type_at, "I",
                 cc.UINT32),
         "layer_norm_epsilon' has type UINT32"),
        ("causal as UINT8",
         patched(data, g.kv[a + "attention.causal"].type_at, "I", cc.UINT8),
         "causal' has type UINT8"),
        ("token type count renamed",
         data.replace(b"tokenizer.ggml.token_type_count",
                      b"tokenizer.ggml.token_type_cOunt", 1),
         "missing required key 'tokenizer.ggml.token_type_count'"),
        ("embedding norm bias of the wrong length",
         patched(data, norm.dims_at, "q", norm.dims[0] + 32),
         "tensor 'token_embd_norm.bias' has ggml shape"),
        ("layer output norm renamed",
         data.replace(b"blk.0.layer_output_norm.bias",
                      b"blk.0.layer_output_nOrm.bias", 1),
         "missing tensor 'blk.0.layer_output_norm.bias'"),
    ]
    if arch == "bert":
        cases.append(("position embeddings renamed",
                      data.replace(b"position_embd.weight",
                                   b"position_embD.weight", 1),
                      "missing tensor 'position_embd.weight'"))
    else:
        cases.append(("gate renamed",
                      data.replace(b"blk.0.ffn_gate.weight",
                                   b"blk.0.ffn_gatE.weight", 1),
                      "missing tensor 'blk.0.ffn_gate.weight'"))
    return cases


def decoder_cases(data, g, arch, tensors):
    """Defects of the table-driven decoders llama.cpp's loaders reject."""
    cases = []
    if arch in ("qwen3", "gemma3"):
        cases.append(("q norm renamed",
                      data.replace(b"blk.0.attn_q_norm.weight",
                                   b"blk.0.attn_q_nOrm.weight", 1),
                      "missing tensor 'blk.0.attn_q_norm.weight'"))
    if arch == "gemma3":
        cases += [
            ("sliding window renamed",
             data.replace(b"gemma3.attention.sliding_window",
                          b"gemma3.attention.sliding_windoW", 1),
             "missing required key 'gemma3.attention.sliding_window'"),
            ("post-ffn norm renamed",
             data.replace(b"blk.0.post_ffw_norm.weight",
                          b"blk.0.post_ffw_nOrm.weight", 1),
             "missing tensor 'blk.0.post_ffw_norm.weight'"),
        ]
    if arch == "phi3":
        qkv = tensors["blk.0.attn_qkv.weight"]
        cases.append(("attn_qkv without its v rows",
                      patched(data, qkv.dims_at + 8, "q",
                              qkv.dims[1] - qkv.dims[0] // 4),
                      "tensor 'blk.0.attn_qkv.weight' has ggml shape"))
        if "rope_factors_long.weight" in tensors:
            long_ = tensors["rope_factors_long.weight"]
            cases.append(("LongRoPE factors of the head width",
                          patched(data, long_.dims_at, "q",
                                  long_.dims[0] + 4),
                          "tensor 'rope_factors_long.weight' has ggml shape"))
    return cases


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
    down = tensors["blk.0.ffn_down.weight"]
    second = g.tensors[1]

    cases = [
        ("context_length as INT32",
         patched(data, g.kv[arch + ".context_length"].type_at, "I", cc.INT32),
         "has type INT32"),
        ("bos id as INT32",
         patched(data, g.kv["tokenizer.ggml.bos_token_id"].type_at, "I",
                 cc.INT32),
         "bos_token_id' has type INT32"),
        ("second tensor offset moved by the alignment",
         patched(data, second.offset_at, "Q", second.offset + g.alignment),
         "llama.cpp expects"),
        ("second tensor offset misaligned",
         patched(data, second.offset_at, "Q", second.offset + 1),
         "not a multiple of the alignment"),
        ("ffn_down transposed",
         patched(patched(data, down.dims_at, "q", down.dims[1]),
                 down.dims_at + 8, "q", down.dims[0]),
         "tensor 'blk.0.ffn_down.weight' has ggml shape"),
        ("ffn_up renamed",
         data.replace(b"blk.0.ffn_up.weight", b"blk.0.ffn_uq.weight", 1),
         "missing tensor 'blk.0.ffn_up.weight'"),
        ("unclaimed tensor",
         data.replace(b"blk.0.ffn_up.weight", b"blk.0.ffn_uq.weight", 1),
         "wrong number of tensors"),
        ("truncated data", data[:-64], "ends past the end of the file"),
        ("version 1", patched(data, 4, "I", 1), "version 1"),
    ]
    if arch in cc.ENCODER_ARCHITECTURES:
        cases += encoder_cases(data, g, arch, tensors)
    else:
        cases += decoder_cases(data, g, arch, tensors)
        cases += [
            ("rms epsilon as UINT32",
             patched(data, g.kv[arch + ".attention.layer_norm_rms_epsilon"]
                     .type_at, "I", cc.UINT32),
             "layer_norm_rms_epsilon' has type UINT32"),
            ("scores as INT32 elements",
             patched(data, g.kv["tokenizer.ggml.scores"].type_at + 4, "I",
                     cc.INT32),
             "ARRAY[FLOAT32] through a raw pointer"),
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
