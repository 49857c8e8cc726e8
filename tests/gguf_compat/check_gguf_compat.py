#!/usr/bin/python3
"""Checks that GGUF files would load in llama.cpp (architectures llama, qwen2,
qwen3, gemma3, phi3, smollm3 and the encoders bert, nomic-bert).

An independent check that our files load in other GGUF runtimes: no
llama.cpp and no `gguf` Python package exist on the build machines, so this script parses GGUF itself, from the format specification
(ggml docs/gguf.md), with the Python 3 standard library only. It shares no
code with edgellm's C++ reader, so a bug in that reader cannot hide a bug in
our writer.

What it checks, and where llama.cpp requires it (read from llama.cpp's
sources; file names are those of ggml-org/llama.cpp):

  container   ggml/src/gguf.cpp gguf_init_from_reader(): magic "GGUF";
              version 2 or 3; non-empty, unique keys; known value types;
              `general.alignment` (if set) a UINT32 power of two; tensor
              names unique and shorter than GGML_MAX_NAME (64); at most 4
              dims, none negative; a known ggml type whose block size
              divides ne[0]; each tensor's offset equal to the sum of the
              previous tensors' sizes padded to the alignment (so tensors
              are contiguous, in info order, and every offset is aligned);
              the data section starting at the aligned end of the infos.
              src/llama-model-loader.cpp: each tensor's bytes inside the file.
  hparams     src/llama-model-loader.cpp GKV::get_kv(): a key that is read
              must have exactly the expected GGUF type ("key %s has wrong
              type"). src/llama-model.cpp load_hparams(): required
              {arch}.context_length, .embedding_length, .block_count (UINT32),
              .feed_forward_length, .attention.head_count (UINT32 or a
              per-layer INT32/UINT32 array), .attention.layer_norm_rms_epsilon
              (FLOAT32, required for llama and qwen2); optional
              .attention.head_count_kv, .attention.key_length/.value_length,
              .rope.dimension_count (llama: must equal the head size,
              "invalid n_rot"), .rope.freq_base (FLOAT32), .vocab_size, ...
  tokenizer   src/llama-vocab.cpp load(): tokenizer.ggml.model (STRING) is
              required; tokens a STRING array; scores (FLOAT32) and token_type
              (INT32) arrays are read through raw pointers, so they must have
              those element types and one entry per token; gpt2 (BPE) needs
              merges; special token ids are UINT32 (and must name a token);
              add_bos/add_eos/add_space_prefix are BOOL. SentencePiece ("llama")
              vocabularies need the byte token <0x0A> (linefeed).
  tensors     src/llama-model.cpp load_tensors(), cases LLM_ARCH_LLAMA,
              LLM_ARCH_QWEN2, LLM_ARCH_QWEN3, LLM_ARCH_GEMMA3, LLM_ARCH_PHI3
              and LLM_ARCH_SMOLLM3: the tensor names and ggml shapes (ne[0] is
              the input width) it creates; output.weight may be absent (tied
              to token_embd); qwen2's attn_q/k/v biases are required; qwen3
              and gemma3 need attn_q_norm/attn_k_norm {head_k}, gemma3 also
              post_attention_norm and post_ffw_norm; phi3 has one attn_qkv
              {n_embd, n_embd + 2 n_embd_gqa}, attn_output {n_embd, n_embd}
              and ffn_up {n_embd, 2 n_ff} (gate rows first), with optional
              rope_factors_long/short {n_rot/2}; llama's optional rope_freqs
              is {n_rot/2}. Every tensor in the file must be claimed, else
              done_getting_tensors() fails ("wrong number of tensors").
  windows     gemma3's load_hparams() requires .attention.sliding_window
              (UINT32); phi3 reads it as optional; .rope.freq_base_swa is an
              optional FLOAT32.
  encoders    src/models/bert.cpp (llama_model_bert, used for bert and
              nomic-bert): .attention.layer_norm_epsilon (FLOAT32) and
              .attention.causal (BOOL) are required, .pooling_type (UINT32)
              too for nomic-bert; tokenizer.ggml.token_type_count must be a
              positive UINT32 ("model needs to define token type count").
              Tensors: token_embd, token_types {n_embd, n_token_types}
              (optional), bert's position_embd {n_embd, n_ctx_train} and its
              optional classifier head cls / cls.output {n_embd, n_cls_out}
              (n_cls_out = the length of .classifier.output_labels, default
              1), token_embd_norm; per block attn_qkv or attn_q/k/v (biases
              optional), attn_output (+ bias), attn_output_norm, ffn_up
              (+ bias), nomic-bert's ffn_gate, ffn_down (+ bias),
              layer_output_norm.

A vocab-only file (no tensors, like llama.cpp's models/ggml-vocab-*.gguf,
which llama.cpp loads with vocab_only=true) gets the container, hparam and
tokenizer checks but not the tensor checks.

--reference REF compares metadata with a reference file of the same
architecture (e.g. one written by llama.cpp): every {arch}.*, general.* and
tokenizer.* key of REF must be in FILE with the same GGUF type (and array
element type), except the keys in REFERENCE_EXCEPTIONS below, each with the
reason it may be absent.

Usage:
  check_gguf_compat.py FILE [--reference REF] [--dump]
Exit status 0 when every check passes, 1 otherwise (each problem printed).
"""

import argparse
import struct
import sys

# GGUF value types (docs/gguf.md, enum gguf_metadata_value_type).
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, \
    UINT64, INT64, FLOAT64 = range(13)
TYPE_NAMES = {
    UINT8: "UINT8", INT8: "INT8", UINT16: "UINT16", INT16: "INT16",
    UINT32: "UINT32", INT32: "INT32", FLOAT32: "FLOAT32", BOOL: "BOOL",
    STRING: "STRING", ARRAY: "ARRAY", UINT64: "UINT64", INT64: "INT64",
    FLOAT64: "FLOAT64",
}
# struct formats of the fixed-size scalar types (little-endian file).
SCALAR_FORMATS = {
    UINT8: "B", INT8: "b", UINT16: "H", INT16: "h", UINT32: "I", INT32: "i",
    FLOAT32: "f", BOOL: "B", UINT64: "Q", INT64: "q", FLOAT64: "d",
}

# ggml tensor types: id -> (name, values per block, bytes per block).
# From ggml.h enum ggml_type and the block structs in ggml-common.h (QK_K =
# 256). Types not listed are reported as unknown to this checker.
GGML_TYPES = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 2 + 16),
    3: ("Q4_1", 32, 2 + 2 + 16),
    6: ("Q5_0", 32, 2 + 4 + 16),
    7: ("Q5_1", 32, 2 + 2 + 4 + 16),
    8: ("Q8_0", 32, 2 + 32),  # fp16 scale + 32 int8
    9: ("Q8_1", 32, 2 + 2 + 32),
    10: ("Q2_K", 256, 16 + 64 + 2 + 2),
    11: ("Q3_K", 256, 32 + 64 + 12 + 2),
    12: ("Q4_K", 256, 2 + 2 + 12 + 128),
    13: ("Q5_K", 256, 2 + 2 + 12 + 32 + 128),
    14: ("Q6_K", 256, 128 + 64 + 16 + 2),
    15: ("Q8_K", 256, 4 + 256 + 2 * 16),
    20: ("IQ4_NL", 32, 2 + 16),
    23: ("IQ4_XS", 256, 2 + 2 + 4 + 128),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    30: ("BF16", 1, 2),
}

GGML_MAX_DIMS = 4
GGML_MAX_NAME = 64
DEFAULT_ALIGNMENT = 32

# llama.cpp's tokenizer.ggml.model values (llama-vocab.cpp load()).
TOKENIZER_MODELS = {"no_vocab", "none", "llama", "bert", "gpt2", "t5", "rwkv",
                    "ugm", "plamo2"}
# Special-token id keys llama-vocab.cpp reads as uint32 (optional).
SPECIAL_TOKEN_KEYS = [
    "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
    "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id",
    "tokenizer.ggml.unknown_token_id", "tokenizer.ggml.seperator_token_id",
    "tokenizer.ggml.padding_token_id", "tokenizer.ggml.cls_token_id",
    "tokenizer.ggml.mask_token_id",
]
TOKENIZER_BOOL_KEYS = [
    "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_eos_token",
    "tokenizer.ggml.add_sep_token", "tokenizer.ggml.add_space_prefix",
    "tokenizer.ggml.remove_extra_whitespaces",
]

DECODER_ARCHITECTURES = ("llama", "qwen2", "qwen3", "gemma3", "phi3",
                         "smollm3")
ENCODER_ARCHITECTURES = ("bert", "nomic-bert")
SUPPORTED_ARCHITECTURES = DECODER_ARCHITECTURES + ENCODER_ARCHITECTURES

# Keys a llama.cpp-written reference may have that our files need not, and
# why. {arch} is replaced by the architecture.
REFERENCE_EXCEPTIONS = {
    "general.name": "free-form model name",
    "general.basename": "provenance metadata, not read by the loader",
    "general.size_label": "provenance metadata, not read by the loader",
    "general.license": "provenance metadata, not read by the loader",
    "general.tags": "provenance metadata, not read by the loader",
    "general.languages": "provenance metadata, not read by the loader",
    "general.type": "provenance metadata, not read by the loader",
    "general.finetune": "provenance metadata, not read by the loader",
    "{arch}.attention.key_length":
        "optional; llama.cpp defaults it to embedding_length / head_count, "
        "which is the head size of every shape we write",
    "{arch}.attention.value_length":
        "optional; llama.cpp defaults it to embedding_length / head_count, "
        "which is the head size of every shape we write",
    "tokenizer.ggml.merges":
        "needed only by BPE (tokenizer.ggml.model gpt2) vocabularies; our "
        "random models carry a SentencePiece (llama) vocabulary",
    "tokenizer.ggml.padding_token_id":
        "model-specific optional special token; llama.cpp leaves it unset "
        "when absent",
    "tokenizer.chat_template": "model-specific optional chat template",
    "{arch}.rope.scaling.type":
        "optional; absent means no position scaling (Gemma 3 1B has none, "
        "its 4B-27B models' converters write linear x8)",
    "{arch}.rope.scaling.factor":
        "optional; absent means no position scaling (see rope.scaling.type)",
}


class GgufError(Exception):
    """The file cannot be parsed at all (truncated or malformed)."""


class Reader:
    """Little-endian reads from a bytes object, with bounds checks."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n, what):
        if n < 0 or self.pos + n > len(self.data):
            raise GgufError("%s at byte %d: needs %d bytes, file has %d left"
                            % (what, self.pos, n, len(self.data) - self.pos))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def scalar(self, fmt, what):
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size, what))[0]

    def string(self, what):
        n = self.scalar("Q", what + " length")
        raw = self.take(n, what)
        return raw


class Value:
    """A metadata value: its GGUF type, element type (arrays) and value."""

    def __init__(self, type_, value, elem_type=None):
        self.type = type_
        self.elem_type = elem_type
        self.value = value
        self.type_at = None  # byte offset of the type field (for tests)

    def type_name(self):
        if self.type == ARRAY:
            return "ARRAY[%s]" % TYPE_NAMES.get(self.elem_type, self.elem_type)
        return TYPE_NAMES.get(self.type, str(self.type))


class Tensor:
    def __init__(self, name, dims, ggml_type, offset, info_at):
        self.name = name
        self.dims = dims  # ggml order: dims[0] = ne[0], the row length
        self.ggml_type = ggml_type
        self.offset = offset  # relative to the data section
        self.info_at = info_at  # byte offset of the tensor info
        self.dims_at = None  # byte offsets of the fields (for tests)
        self.offset_at = None

    def nbytes(self):
        _, block, size = GGML_TYPES[self.ggml_type]
        count = 1
        for d in self.dims:
            count *= d
        return count // block * size


class GgufFile:
    def __init__(self, path):
        self.path = path
        self.version = 0
        self.kv = {}  # key -> Value, in file order
        self.tensors = []
        self.alignment = DEFAULT_ALIGNMENT
        self.data_offset = 0
        self.file_size = 0


def read_value(r, type_, what, errors, depth=0):
    if type_ == STRING:
        raw = r.string(what)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            errors.append("%s: string is not valid UTF-8 (%s)" % (what, e))
            return raw.decode("utf-8", "replace")
    if type_ == ARRAY:
        raise GgufError("%s: nested array handled by caller" % what)
    fmt = SCALAR_FORMATS.get(type_)
    if fmt is None:
        raise GgufError("%s: unknown value type %d at byte %d"
                        % (what, type_, r.pos - 4))
    v = r.scalar(fmt, what)
    if type_ == BOOL:
        if v not in (0, 1):
            errors.append("%s: BOOL byte is %d; the spec allows only 0 or 1"
                          % (what, v))
        v = bool(v)
    return v


def read_array(r, what, errors):
    elem_type = r.scalar("I", what + " element type")
    n = r.scalar("Q", what + " element count")
    if elem_type == ARRAY:
        # The spec allows nested arrays but llama.cpp's gguf.cpp rejects
        # them ("has invalid GGUF type").
        errors.append("%s: array of arrays (llama.cpp's gguf.cpp rejects it)"
                      % what)
        raise GgufError("%s: cannot continue after a nested array" % what)
    if elem_type == STRING:
        values, bad = [], []
        for i in range(n):
            raw = r.string("%s[%d]" % (what, i))
            try:
                values.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                bad.append(i)
                values.append(raw.decode("utf-8", "replace"))
        if bad:
            errors.append("%s: %d strings are not valid UTF-8 (first at index "
                          "%d)" % (what, len(bad), bad[0]))
        return Value(ARRAY, values, elem_type)
    fmt = SCALAR_FORMATS.get(elem_type)
    if fmt is not None and elem_type != BOOL:
        size = struct.calcsize("<" + fmt)
        raw = r.take(size * n, what)
        values = list(struct.unpack("<%d%s" % (n, fmt), raw))
    else:
        values = [read_value(r, elem_type, "%s[%d]" % (what, i), errors)
                  for i in range(n)]
    return Value(ARRAY, values, elem_type)


def parse(path, errors):
    """Parses the container and applies gguf.cpp's rules; returns GgufFile."""
    with open(path, "rb") as f:
        data = f.read()
    g = GgufFile(path)
    g.file_size = len(data)
    r = Reader(data)
    magic = r.take(4, "magic")
    if magic != b"GGUF":
        raise GgufError("magic is %r, expected b'GGUF'" % magic)
    g.version = r.scalar("I", "version")
    if g.version not in (2, 3):
        # gguf.cpp: v1 is no longer supported; above GGUF_VERSION (3) unknown.
        errors.append("version %d: llama.cpp reads versions 2 and 3"
                      % g.version)
    n_tensors = r.scalar("q", "tensor count")
    n_kv = r.scalar("q", "metadata count")
    if n_tensors < 0 or n_kv < 0:
        raise GgufError("negative tensor count %d or metadata count %d"
                        % (n_tensors, n_kv))

    for i in range(n_kv):
        at = r.pos
        key_raw = r.string("key %d" % i)
        try:
            key = key_raw.decode("utf-8")
        except UnicodeDecodeError:
            errors.append("key %d at byte %d is not valid UTF-8" % (i, at))
            key = key_raw.decode("utf-8", "replace")
        if not key:
            errors.append("key %d at byte %d is empty" % (i, at))
        if key in g.kv:
            errors.append("duplicate key '%s' at byte %d" % (key, at))
        type_at = r.pos
        type_ = r.scalar("I", "type of '%s'" % key)
        if type_ == ARRAY:
            value = read_array(r, "'%s'" % key, errors)
        else:
            if type_ not in SCALAR_FORMATS and type_ != STRING:
                raise GgufError("key '%s' at byte %d has invalid value type %d"
                                % (key, at, type_))
            value = Value(type_, read_value(r, type_, "'%s'" % key, errors))
        value.type_at = type_at
        g.kv[key] = value

    align = g.kv.get("general.alignment")
    if align is not None:
        if align.type != UINT32:
            errors.append("general.alignment has type %s; llama.cpp requires "
                          "UINT32" % align.type_name())
        elif align.value == 0 or align.value & (align.value - 1):
            errors.append("general.alignment %d is not a power of two"
                          % align.value)
        else:
            g.alignment = align.value

    names = set()
    for i in range(n_tensors):
        at = r.pos
        name_raw = r.string("tensor %d name" % i)
        name = name_raw.decode("utf-8", "replace")
        if len(name_raw) >= GGML_MAX_NAME:
            errors.append("tensor '%s' (info at byte %d): name is %d bytes; "
                          "ggml allows at most %d"
                          % (name, at, len(name_raw), GGML_MAX_NAME - 1))
        if name in names:
            errors.append("duplicate tensor name '%s' (info at byte %d)"
                          % (name, at))
        names.add(name)
        n_dims = r.scalar("I", "tensor '%s' n_dims" % name)
        if n_dims > GGML_MAX_DIMS:
            raise GgufError("tensor '%s' (info at byte %d): %d dims, ggml "
                            "allows %d" % (name, at, n_dims, GGML_MAX_DIMS))
        dims_at = r.pos
        dims = [r.scalar("q", "tensor '%s' dim %d" % (name, j))
                for j in range(n_dims)]
        ggml_type = r.scalar("I", "tensor '%s' type" % name)
        offset_at = r.pos
        offset = r.scalar("Q", "tensor '%s' offset" % name)
        t = Tensor(name, dims, ggml_type, offset, at)
        t.dims_at, t.offset_at = dims_at, offset_at
        g.tensors.append(t)
        if any(d < 0 for d in dims):
            errors.append("tensor '%s': negative dimension in %s"
                          % (name, dims))
        if ggml_type not in GGML_TYPES:
            errors.append("tensor '%s': ggml type %d is not known to this "
                          "checker" % (name, ggml_type))
            continue
        type_name, block, _ = GGML_TYPES[ggml_type]
        if dims and dims[0] % block != 0:
            errors.append("tensor '%s': %s rows of %d values are not a "
                          "multiple of the block size %d"
                          % (name, type_name, dims[0], block))

    # The data section starts at the next multiple of the alignment.
    g.data_offset = pad(r.pos, g.alignment)
    expected = 0
    for t in g.tensors:
        if t.ggml_type not in GGML_TYPES:
            return g
        if t.offset != expected:
            errors.append("tensor '%s': offset %d, llama.cpp expects %d (the "
                          "previous tensors' sizes, each padded to %d)"
                          % (t.name, t.offset, expected, g.alignment))
        if t.offset % g.alignment:
            errors.append("tensor '%s': offset %d is not a multiple of the "
                          "alignment %d" % (t.name, t.offset, g.alignment))
        end = g.data_offset + t.offset + t.nbytes()
        if end > g.file_size:
            errors.append("tensor '%s': data [%d, %d) ends past the end of "
                          "the file (%d bytes)"
                          % (t.name, g.data_offset + t.offset, end,
                             g.file_size))
        expected += pad(t.nbytes(), g.alignment)
    return g


def pad(x, n):
    return (x + n - 1) // n * n


def lookup(g, key, errors, required):
    """The key's KV entry, or None (an error when it is required)."""
    v = g.kv.get(key)
    if v is None and required:
        errors.append("missing required key '%s'" % key)
    return v


def want_type(g, key, types, errors, required):
    """The key's value if it has one of `types` (else records an error)."""
    v = lookup(g, key, errors, required)
    if v is None:
        return None
    if v.type not in types:
        errors.append("key '%s' has type %s; llama.cpp reads it as %s"
                      % (key, v.type_name(),
                         " or ".join(TYPE_NAMES[t] for t in types)))
        return None
    return v.value


def want_u32_or_layer_array(g, key, n_layer, errors, required):
    """llama-model-loader get_key_or_arr(): a UINT32 or a per-layer array."""
    v = lookup(g, key, errors, required)
    if v is None:
        return None
    if v.type == UINT32:
        return v.value
    if v.type == ARRAY and v.elem_type in (INT32, UINT32):
        if n_layer is not None and len(v.value) != n_layer:
            errors.append("key '%s': array of %d entries for %d layers"
                          % (key, len(v.value), n_layer))
            return None
        if len(set(v.value)) != 1:
            errors.append("key '%s': per-layer values %s differ; this checker "
                          "handles uniform layers only" % (key, v.value[:8]))
            return None
        return v.value[0]
    errors.append("key '%s' has type %s; llama.cpp reads a UINT32 or an "
                  "INT32/UINT32 array" % (key, v.type_name()))
    return None


def check_hparams(g, arch, errors):
    """load_hparams() for llama/qwen2; returns the numbers the tensors need."""
    a = arch + "."
    want_type(g, "general.name", [STRING], errors, False)
    want_type(g, "general.file_type", [UINT32], errors, False)
    want_type(g, "general.quantization_version", [UINT32], errors, False)
    hp = {}
    hp["n_ctx"] = want_type(g, a + "context_length", [UINT32], errors, True)
    hp["n_embd"] = want_type(g, a + "embedding_length", [UINT32], errors, True)
    hp["n_layer"] = want_type(g, a + "block_count", [UINT32], errors, True)
    hp["n_ff"] = want_u32_or_layer_array(g, a + "feed_forward_length",
                                         hp["n_layer"], errors, True)
    hp["n_head"] = want_u32_or_layer_array(g, a + "attention.head_count",
                                           hp["n_layer"], errors, True)
    hp["n_head_kv"] = want_u32_or_layer_array(
        g, a + "attention.head_count_kv", hp["n_layer"], errors, False)
    if hp["n_head_kv"] is None:
        hp["n_head_kv"] = hp["n_head"]  # llama.cpp's default
    encoder = arch in ENCODER_ARCHITECTURES
    want_type(g, a + "attention.layer_norm_rms_epsilon", [FLOAT32], errors,
              not encoder)
    if encoder:
        check_encoder_hparams(g, arch, hp, errors)
    want_type(g, a + "rope.freq_base", [FLOAT32], errors, False)
    want_type(g, a + "rope.freq_base_swa", [FLOAT32], errors, False)
    # load_hparams(): gemma3 reads the window without a default.
    want_type(g, a + "attention.sliding_window", [UINT32], errors,
              arch == "gemma3")
    want_type(g, a + "rope.scaling.type", [STRING], errors, False)
    want_type(g, a + "rope.scaling.factor", [FLOAT32], errors, False)
    want_type(g, a + "rope.scale_linear", [FLOAT32], errors, False)
    want_type(g, a + "rope.scaling.attn_factor", [FLOAT32], errors, False)
    want_type(g, a + "rope.scaling.original_context_length", [UINT32], errors,
              False)
    want_type(g, a + "rope.scaling.finetuned", [BOOL], errors, False)
    hp["n_vocab_key"] = want_type(g, a + "vocab_size", [UINT32], errors, False)
    n_expert = want_type(g, a + "expert_count", [UINT32], errors, False)
    if n_expert:
        errors.append("%sexpert_count is %d: mixture-of-experts layers are not "
                      "checked here" % (a, n_expert))

    if None in (hp["n_embd"], hp["n_layer"], hp["n_ff"], hp["n_head"],
                hp["n_head_kv"]):
        return None
    if hp["n_head"] == 0 or hp["n_head_kv"] == 0:
        errors.append("head_count %d / head_count_kv %d must be positive"
                      % (hp["n_head"], hp["n_head_kv"]))
        return None
    if hp["n_head"] % hp["n_head_kv"]:
        errors.append("head_count %d is not a multiple of head_count_kv %d"
                      % (hp["n_head"], hp["n_head_kv"]))
    default_head = hp["n_embd"] // hp["n_head"]
    hp["head_k"] = want_type(g, a + "attention.key_length", [UINT32], errors,
                             False) or default_head
    hp["head_v"] = want_type(g, a + "attention.value_length", [UINT32],
                             errors, False) or default_head
    n_rot = want_type(g, a + "rope.dimension_count", [UINT32], errors, False)
    if n_rot is None:
        n_rot = hp["head_k"]
    if arch == "llama" and n_rot != hp["head_k"]:
        # load_hparams(): "invalid n_rot: %u, expected %u" for llama.
        errors.append("%srope.dimension_count %d differs from the head size "
                      "%d (llama.cpp: invalid n_rot)" % (a, n_rot, hp["head_k"]))
    hp["n_rot"] = n_rot
    return hp


def check_encoder_hparams(g, arch, hp, errors):
    """llama_model_bert::load_arch_hparams and its tensor-count rules."""
    a = arch + "."
    want_type(g, a + "attention.layer_norm_epsilon", [FLOAT32], errors, True)
    want_type(g, a + "attention.causal", [BOOL], errors, True)
    pooling = want_type(g, a + "pooling_type", [UINT32], errors,
                        arch == "nomic-bert")
    if pooling is not None and pooling > 4:
        errors.append("%spooling_type %d is not a llama_pooling_type (0..4)"
                      % (a, pooling))
    labels = g.kv.get(a + "classifier.output_labels")
    hp["n_cls_out"] = 1
    if labels is not None:
        if labels.type != ARRAY or labels.elem_type != STRING:
            errors.append("%sclassifier.output_labels has type %s; llama.cpp "
                          "reads ARRAY[STRING]" % (a, labels.type_name()))
        else:
            hp["n_cls_out"] = len(labels.value)
    n_types = want_type(g, "tokenizer.ggml.token_type_count", [UINT32],
                        errors, True)
    if n_types == 0:
        errors.append("tokenizer.ggml.token_type_count is 0 (llama.cpp: "
                      "model needs to define token type count)")
    hp["n_token_types"] = n_types or 0


def check_tokenizer(g, errors):
    """llama-vocab.cpp load(); returns the token count (or None)."""
    model = want_type(g, "tokenizer.ggml.model", [STRING], errors, True)
    want_type(g, "tokenizer.ggml.pre", [STRING], errors, False)
    want_type(g, "tokenizer.chat_template", [STRING], errors, False)
    if model is None:
        return None
    if model not in TOKENIZER_MODELS:
        errors.append("tokenizer.ggml.model '%s' is not one llama.cpp knows "
                      "(%s)" % (model, ", ".join(sorted(TOKENIZER_MODELS))))
    if model in ("no_vocab", "none"):
        return None
    tokens = g.kv.get("tokenizer.ggml.tokens")
    if tokens is None:
        errors.append("missing required key 'tokenizer.ggml.tokens'")
        return None
    if tokens.type != ARRAY or tokens.elem_type != STRING:
        errors.append("tokenizer.ggml.tokens has type %s; llama.cpp reads "
                      "ARRAY[STRING]" % tokens.type_name())
        return None
    n = len(tokens.value)
    if n == 0:
        errors.append("tokenizer.ggml.tokens is empty")
    # Older llama.cpp asserts every token decodes to at least one code point
    # (UTF-8 validity is checked while parsing).
    empty = [i for i, t in enumerate(tokens.value) if not t]
    if empty:
        errors.append("tokenizer.ggml.tokens: %d empty tokens (first at index "
                      "%d)" % (len(empty), empty[0]))
    for key, elem in (("tokenizer.ggml.scores", FLOAT32),
                      ("tokenizer.ggml.token_type", INT32)):
        v = g.kv.get(key)
        if v is None:
            continue
        if v.type != ARRAY or v.elem_type != elem:
            errors.append("%s has type %s; llama.cpp reads its data as "
                          "ARRAY[%s] through a raw pointer"
                          % (key, v.type_name(), TYPE_NAMES[elem]))
        elif len(v.value) != n:
            errors.append("%s has %d entries for %d tokens" %
                          (key, len(v.value), n))
    merges = g.kv.get("tokenizer.ggml.merges")
    if merges is not None and (merges.type != ARRAY or
                               merges.elem_type != STRING):
        errors.append("tokenizer.ggml.merges has type %s; expected "
                      "ARRAY[STRING]" % merges.type_name())
    if model == "gpt2" and merges is None:
        errors.append("tokenizer.ggml.model is gpt2 (BPE) but "
                      "tokenizer.ggml.merges is missing")
    for key in SPECIAL_TOKEN_KEYS:
        v = want_type(g, key, [UINT32], errors, False)
        if v is not None and v >= n:
            errors.append("%s is %d, not a token id (%d tokens)" % (key, v, n))
    for key in TOKENIZER_BOOL_KEYS:
        want_type(g, key, [BOOL], errors, False)
    if model == "llama" and "<0x0A>" not in tokens.value:
        # llama-vocab.cpp looks up the linefeed byte token of SPM
        # vocabularies at load time (byte_to_token('\n')).
        errors.append("SentencePiece vocabulary without the byte token "
                      "<0x0A> (llama.cpp looks it up as the linefeed)")
    return n


def expected_encoder_tensors(g, arch, hp, n_vocab):
    """llama_model_bert::load_arch_tensors: (required, optional) dicts."""
    e, ff = hp["n_embd"], hp["n_ff"]
    q_out = hp["head_k"] * hp["n_head"]
    kv_out = hp["head_k"] * hp["n_head_kv"]
    names = {t.name for t in g.tensors}
    req = {"token_embd.weight": [e, n_vocab],
           "token_embd_norm.weight": [e], "token_embd_norm.bias": [e]}
    opt = {"token_types.weight": [e, hp["n_token_types"]]}
    if arch == "bert":
        req["position_embd.weight"] = [e, hp["n_ctx"]]
        n_out = hp["n_cls_out"]
        opt.update({"cls.weight": [e, e], "cls.bias": [e],
                    "cls.output.weight": [e, n_out],
                    "cls.output.bias": [n_out]})
    for i in range(hp["n_layer"]):
        b = "blk.%d." % i
        # create_tensor_qkv: a fused attn_qkv if the file has one, else the
        # three projections; their biases are optional either way.
        if b + "attn_qkv.weight" in names:
            req[b + "attn_qkv.weight"] = [e, q_out + 2 * kv_out]
            opt[b + "attn_qkv.bias"] = [q_out + 2 * kv_out]
        else:
            for part, out in (("q", q_out), ("k", kv_out), ("v", kv_out)):
                req[b + "attn_%s.weight" % part] = [e, out]
                opt[b + "attn_%s.bias" % part] = [out]
        req[b + "attn_output.weight"] = [q_out, e]
        opt[b + "attn_output.bias"] = [e]
        req[b + "attn_output_norm.weight"] = [e]
        req[b + "attn_output_norm.bias"] = [e]
        req[b + "ffn_up.weight"] = [e, ff]
        opt[b + "ffn_up.bias"] = [ff]
        req[b + "ffn_down.weight"] = [ff, e]
        opt[b + "ffn_down.bias"] = [e]
        if arch == "nomic-bert":
            req[b + "ffn_gate.weight"] = [e, ff]
        req[b + "layer_output_norm.weight"] = [e]
        req[b + "layer_output_norm.bias"] = [e]
    return req, opt


def expected_tensors(arch, hp, n_vocab):
    """(required, optional) dicts: tensor name -> ggml dims (ne order)."""
    e, ff = hp["n_embd"], hp["n_ff"]
    q_out = hp["head_k"] * hp["n_head"]
    k_out = hp["head_k"] * hp["n_head_kv"]
    v_out = hp["head_v"] * hp["n_head_kv"]
    req = {"token_embd.weight": [e, n_vocab], "output_norm.weight": [e]}
    opt = {"output.weight": [e, n_vocab]}  # absent: tied to token_embd
    if arch == "llama":
        opt["rope_freqs.weight"] = [hp["n_rot"] // 2]
    if arch == "phi3":
        opt["rope_factors_long.weight"] = [hp["n_rot"] // 2]
        opt["rope_factors_short.weight"] = [hp["n_rot"] // 2]
    for i in range(hp["n_layer"]):
        b = "blk.%d." % i
        req[b + "attn_norm.weight"] = [e]
        req[b + "ffn_norm.weight"] = [e]
        req[b + "ffn_down.weight"] = [ff, e]
        if arch == "phi3":
            # The query part is n_embd wide whatever the heads say.
            req[b + "attn_qkv.weight"] = [e, e + 2 * k_out]
            req[b + "attn_output.weight"] = [e, e]
            req[b + "ffn_up.weight"] = [e, 2 * ff]
            continue
        req[b + "attn_q.weight"] = [e, q_out]
        req[b + "attn_k.weight"] = [e, k_out]
        req[b + "attn_v.weight"] = [e, v_out]
        req[b + "attn_output.weight"] = [q_out, e]
        req[b + "ffn_gate.weight"] = [e, ff]
        req[b + "ffn_up.weight"] = [e, ff]
        if arch in ("qwen3", "gemma3"):
            req[b + "attn_q_norm.weight"] = [hp["head_k"]]
            req[b + "attn_k_norm.weight"] = [hp["head_k"]]
        if arch == "gemma3":
            req[b + "post_attention_norm.weight"] = [e]
            req[b + "post_ffw_norm.weight"] = [e]
        biases = {b + "attn_q.bias": [q_out], b + "attn_k.bias": [k_out],
                  b + "attn_v.bias": [v_out]}
        if arch == "qwen2":
            req.update(biases)  # LLM_ARCH_QWEN2 creates them with flags 0
        elif arch == "llama":
            opt.update(biases)
            opt[b + "attn_output.bias"] = [e]
            opt[b + "ffn_gate.bias"] = [ff]
            opt[b + "ffn_down.bias"] = [e]
            opt[b + "ffn_up.bias"] = [ff]
    return req, opt


def check_tensors(g, arch, hp, n_vocab, errors):
    if hp is None or n_vocab is None:
        errors.append("tensor checks skipped: hparams or vocabulary unusable")
        return
    if hp["n_vocab_key"] is not None and hp["n_vocab_key"] != n_vocab:
        errors.append("%s.vocab_size is %d but there are %d tokens"
                      % (arch, hp["n_vocab_key"], n_vocab))
    if arch in ENCODER_ARCHITECTURES:
        req, opt = expected_encoder_tensors(g, arch, hp, n_vocab)
    else:
        req, opt = expected_tensors(arch, hp, n_vocab)
    by_name = {t.name: t for t in g.tensors}
    for name, dims in list(req.items()) + list(opt.items()):
        t = by_name.get(name)
        if t is None:
            if name in req:
                errors.append("missing tensor '%s' (llama.cpp: missing "
                              "tensor)" % name)
            continue
        # ggml pads a shape with trailing 1s to 4 dims; compare that way.
        have = (t.dims + [1] * GGML_MAX_DIMS)[:GGML_MAX_DIMS]
        want = (dims + [1] * GGML_MAX_DIMS)[:GGML_MAX_DIMS]
        if have != want:
            errors.append("tensor '%s' has ggml shape %s, llama.cpp expects %s"
                          % (name, t.dims, dims))
    unknown = [t.name for t in g.tensors if t.name not in req and
               t.name not in opt]
    if unknown:
        errors.append("%d tensors llama.cpp's %s loader does not claim (it "
                      "fails with 'wrong number of tensors'): %s"
                      % (len(unknown), arch, ", ".join(unknown[:8])))
    ft = g.kv.get("general.file_type")
    if ft is not None and ft.type == UINT32:
        types = {GGML_TYPES[t.ggml_type][0] for t in g.tensors
                 if t.ggml_type in GGML_TYPES}
        # llama_ftype -> the type most tensors have (llama-quant.cpp
        # llama_ftype_get_default_type): 0 ALL_F32, 1 MOSTLY_F16, 2 Q4_0,
        # 3 Q4_1, 7 Q8_0, 8 Q5_0, 9 Q5_1, 10 Q2_K, 11-13 Q3_K_S/M/L,
        # 14-15 Q4_K_S/M, 16-17 Q5_K_S/M, 18 Q6_K, 25 IQ4_NL, 30 IQ4_XS,
        # 32 BF16.
        implied = {0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0",
                   8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K", 12: "Q3_K",
                   13: "Q3_K", 14: "Q4_K", 15: "Q4_K", 16: "Q5_K",
                   17: "Q5_K", 18: "Q6_K", 25: "IQ4_NL", 30: "IQ4_XS",
                   32: "BF16"}.get(ft.value)
        # A model whose rows do not split into 256-value blocks gets
        # llama-quantize's fallback type (llama-quant.cpp
        # tensor_type_fallback) for every matrix.
        fallback = {"Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q5_0",
                    "Q5_K": "Q5_1", "Q6_K": "Q8_0", "IQ4_XS": "IQ4_NL"}
        if implied == "F32" and types != {"F32"}:
            errors.append("general.file_type 0 (ALL_F32) but tensors are %s"
                          % sorted(types))
        elif implied is not None and implied not in types and \
                fallback.get(implied) not in types:
            errors.append("general.file_type %d (mostly %s) but no tensor has "
                          "that type or its fallback (%s)"
                          % (ft.value, implied, sorted(types)))


def compare_with_reference(g, ref, arch, errors):
    exceptions = {k.replace("{arch}", arch) for k in REFERENCE_EXCEPTIONS}
    scoped = [k for k in ref.kv if k.startswith(("general.", arch + ".",
                                                 "tokenizer."))]
    for key in scoped:
        if key in exceptions or key == "general.alignment":
            continue
        want = ref.kv[key]
        have = g.kv.get(key)
        if have is None:
            errors.append("key '%s' (%s) is in the reference %s but not here"
                          % (key, want.type_name(), ref.path))
        elif have.type_name() != want.type_name():
            errors.append("key '%s' is %s here but %s in the reference %s"
                          % (key, have.type_name(), want.type_name(),
                             ref.path))


def check_file(path, reference=None, dump=False):
    """Runs every check on `path`; returns the list of problems."""
    errors = []
    try:
        g = parse(path, errors)
    except (GgufError, struct.error) as e:
        return errors + ["cannot parse: %s" % e]
    if dump:
        print("%s: GGUF v%d, %d keys, %d tensors, alignment %d, data at %d"
              % (path, g.version, len(g.kv), len(g.tensors), g.alignment,
                 g.data_offset))
        for k, v in g.kv.items():
            shown = v.value if v.type != ARRAY else "[%d items]" % len(v.value)
            print("  %-45s %-16s %s" % (k, v.type_name(), shown))
        for t in g.tensors:
            print("  tensor %-32s %-5s %s @%d" % (
                t.name, GGML_TYPES.get(t.ggml_type, ("?",))[0], t.dims,
                t.offset))
    arch = want_type(g, "general.architecture", [STRING], errors, True)
    if arch is None:
        return errors
    if arch not in SUPPORTED_ARCHITECTURES:
        return errors + ["general.architecture '%s': this checker knows %s"
                         % (arch, ", ".join(SUPPORTED_ARCHITECTURES))]
    hp = check_hparams(g, arch, errors)
    n_vocab = check_tokenizer(g, errors)
    if g.tensors:
        check_tensors(g, arch, hp, n_vocab, errors)
    if reference is not None:
        ref_errors = []
        try:
            ref = parse(reference, ref_errors)
        except (GgufError, struct.error) as e:
            return errors + ["reference %s: cannot parse: %s" % (reference, e)]
        ref_arch = ref.kv.get("general.architecture")
        if ref_arch is None or ref_arch.value != arch:
            errors.append("reference %s has architecture %s, this file %s"
                          % (reference, ref_arch and ref_arch.value, arch))
        else:
            compare_with_reference(g, ref, arch, errors)
    return errors


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--reference", help="GGUF of the same architecture whose "
                   "metadata keys and types this file must have")
    p.add_argument("--dump", action="store_true",
                   help="print the metadata and tensor infos")
    args = p.parse_args(argv)
    errors = check_file(args.file, args.reference, args.dump)
    label = args.file + (" (vs %s)" % args.reference if args.reference else "")
    if errors:
        print("FAIL %s" % label)
        for e in errors:
            print("  - " + e)
        return 1
    print("OK   %s" % label)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
