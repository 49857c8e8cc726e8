#include "quant/convert/llama2c.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace edgellm::quant {
namespace {

// "ak42" as a little-endian uint32 (export.py, version1_export).
constexpr uint32_t kMagic = 0x616b3432;
constexpr size_t kLegacyHeaderBytes = 7 * sizeof(int32_t);
constexpr size_t kVersionedHeaderBytes = 256;
// Bounds that keep every size computation far from overflow and reject
// garbage headers early (the largest Llama has dim 16384, 126 layers).
constexpr int64_t kMaxDim = int64_t{1} << 20;
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxVocab = int64_t{1} << 24;

int32_t LoadI32(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

float LoadF32(const uint8_t* p) {
  float v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// The weights of a llama2.c model, in the order the formats list them.
enum class Kind {
  kEmbedding,
  kAttNorm,
  kWq,
  kWk,
  kWv,
  kWo,
  kFfnNorm,
  kW1,
  kW2,
  kW3,
  kFinalNorm,
  kClassifier,
};

struct Shape {
  int64_t out;  // rows (or length of a vector)
  int64_t in;   // row length; 0 for a vector
  int64_t elements() const { return in == 0 ? out : out * in; }
};

Shape ShapeOf(Kind kind, const Llama2cConfig& c) {
  switch (kind) {
    case Kind::kEmbedding:
    case Kind::kClassifier:
      return {c.vocab_size, c.dim};
    case Kind::kAttNorm:
    case Kind::kFfnNorm:
    case Kind::kFinalNorm:
      return {c.dim, 0};
    case Kind::kWq:
    case Kind::kWo:
      return {c.dim, c.dim};
    case Kind::kWk:
    case Kind::kWv:
      return {c.kv_dim(), c.dim};
    case Kind::kW1:
    case Kind::kW3:
      return {c.hidden_dim, c.dim};
    case Kind::kW2:
      return {c.dim, c.hidden_dim};
  }
  return {0, 0};
}

bool PerLayer(Kind kind) {
  return kind != Kind::kEmbedding && kind != Kind::kFinalNorm &&
         kind != Kind::kClassifier;
}

const char* GgufName(Kind kind) {
  switch (kind) {
    case Kind::kEmbedding:
      return "token_embd";
    case Kind::kAttNorm:
      return "attn_norm";
    case Kind::kWq:
      return "attn_q";
    case Kind::kWk:
      return "attn_k";
    case Kind::kWv:
      return "attn_v";
    case Kind::kWo:
      return "attn_output";
    case Kind::kFfnNorm:
      return "ffn_norm";
    case Kind::kW1:
      return "ffn_gate";
    case Kind::kW2:
      return "ffn_down";
    case Kind::kW3:
      return "ffn_up";
    case Kind::kFinalNorm:
      return "output_norm";
    case Kind::kClassifier:
      return "output";
  }
  return "";
}

constexpr int kNumKinds = 12;

// Offsets of every (kind, layer 0) in the file; layer l of a per-layer kind
// follows at l * elements * element size.
struct Layout {
  std::array<std::optional<uint64_t>, kNumKinds> offset;
  std::array<std::optional<uint64_t>, kNumKinds> scale_offset;  // v2
  std::array<bool, kNumKinds> int8{};
  uint64_t end = 0;
};

absl::StatusOr<Layout> ComputeLayout(const Llama2cConfig& c) {
  Layout layout;
  uint64_t pos = c.version == 0 ? kLegacyHeaderBytes : kVersionedHeaderBytes;
  auto count = [&](Kind kind) -> uint64_t {
    const uint64_t n = static_cast<uint64_t>(ShapeOf(kind, c).elements());
    return PerLayer(kind) ? n * static_cast<uint64_t>(c.n_layers) : n;
  };
  auto place_f32 = [&](Kind kind) {
    layout.offset[static_cast<int>(kind)] = pos;
    pos += count(kind) * sizeof(float);
  };
  const std::vector<Kind> matrices = {Kind::kEmbedding, Kind::kWq, Kind::kWk,
                                      Kind::kWv,        Kind::kWo, Kind::kW1,
                                      Kind::kW2,        Kind::kW3};
  switch (c.version) {
    case 0:
      for (Kind k : {Kind::kEmbedding, Kind::kAttNorm, Kind::kWq, Kind::kWk,
                     Kind::kWv, Kind::kWo, Kind::kFfnNorm, Kind::kW1, Kind::kW2,
                     Kind::kW3, Kind::kFinalNorm}) {
        place_f32(k);
      }
      // freq_cis_real and freq_cis_imag: seq_len * head_size / 2 each.
      pos += 2 * static_cast<uint64_t>(c.seq_len) * (c.head_size() / 2) *
             sizeof(float);
      if (!c.shared_classifier) place_f32(Kind::kClassifier);
      break;
    case 1:
      for (Kind k : {Kind::kAttNorm, Kind::kFfnNorm, Kind::kFinalNorm,
                     Kind::kEmbedding, Kind::kWq, Kind::kWk, Kind::kWv,
                     Kind::kWo, Kind::kW1, Kind::kW2, Kind::kW3}) {
        place_f32(k);
      }
      if (!c.shared_classifier) place_f32(Kind::kClassifier);
      break;
    case 2: {
      for (Kind k : {Kind::kAttNorm, Kind::kFfnNorm, Kind::kFinalNorm}) {
        place_f32(k);
      }
      std::vector<Kind> quantized = matrices;
      if (!c.shared_classifier) quantized.push_back(Kind::kClassifier);
      for (Kind k : quantized) {
        // export.py quantizes each tensor flattened in groups, so every
        // (per-layer) tensor must hold whole groups.
        if (ShapeOf(k, c).elements() % c.group_size != 0) {
          return absl::InvalidArgumentError(absl::StrCat(
              "llama2.c v2 checkpoint: ", GgufName(k), " has ",
              ShapeOf(k, c).elements(),
              " values, not a multiple of group_size ", c.group_size));
        }
        layout.offset[static_cast<int>(k)] = pos;
        layout.int8[static_cast<int>(k)] = true;
        pos += count(k);
      }
      for (Kind k : quantized) {
        layout.scale_offset[static_cast<int>(k)] = pos;
        pos += count(k) / c.group_size * sizeof(float);
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported llama2.c checkpoint version ", c.version,
                       " (supported: 0, 1, 2)"));
  }
  layout.end = pos;
  return layout;
}

absl::Status CheckRange(const char* field, int64_t value, int64_t max) {
  if (value <= 0 || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c checkpoint header: ", field, " = ", value,
                     " is out of range (1..", max, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

int64_t Llama2cTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

absl::StatusOr<Llama2cCheckpoint> ParseLlama2cCheckpoint(const uint8_t* data,
                                                         size_t size) {
  if (size < kLegacyHeaderBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c checkpoint too short: ", size,
                     " bytes, the header alone needs ", kLegacyHeaderBytes));
  }
  Llama2cConfig c;
  size_t p = 0;
  uint32_t magic;
  std::memcpy(&magic, data, sizeof(magic));
  if (magic == kMagic) {
    if (size < kVersionedHeaderBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat("llama2.c checkpoint with magic 'ak42' is shorter (",
                       size, " bytes) than its 256-byte header"));
    }
    c.version = LoadI32(data + 4);
    if (c.version != 1 && c.version != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("unsupported llama2.c checkpoint version ", c.version,
                       " at byte 4 (supported: 0, 1, 2)"));
    }
    p = 8;
  }
  c.dim = LoadI32(data + p);
  c.hidden_dim = LoadI32(data + p + 4);
  c.n_layers = LoadI32(data + p + 8);
  c.n_heads = LoadI32(data + p + 12);
  c.n_kv_heads = LoadI32(data + p + 16);
  const int32_t vocab = LoadI32(data + p + 20);
  c.seq_len = LoadI32(data + p + 24);
  if (c.version == 0) {
    // Legacy: a negative vocab size flags a separate classifier (run.c).
    c.shared_classifier = vocab > 0;
    c.vocab_size = vocab == std::numeric_limits<int32_t>::min() ? 0
                   : vocab < 0                                  ? -vocab
                                                                : vocab;
  } else {
    c.vocab_size = vocab;
    c.shared_classifier = data[p + 28] != 0;
    if (c.version == 2) c.group_size = LoadI32(data + p + 29);
  }
  for (auto [field, value, max] :
       {std::tuple{"dim", int64_t{c.dim}, kMaxDim},
        std::tuple{"hidden_dim", int64_t{c.hidden_dim}, kMaxDim},
        std::tuple{"n_layers", int64_t{c.n_layers}, kMaxLayers},
        std::tuple{"n_heads", int64_t{c.n_heads}, int64_t{c.dim}},
        std::tuple{"n_kv_heads", int64_t{c.n_kv_heads}, int64_t{c.n_heads}},
        std::tuple{"vocab_size", int64_t{c.vocab_size}, kMaxVocab},
        std::tuple{"seq_len", int64_t{c.seq_len}, kMaxDim}}) {
    if (absl::Status s = CheckRange(field, value, max); !s.ok()) {
      if (c.version == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            s.message(),
            "; is this a llama2.c checkpoint? (legacy files start with 7 "
            "int32 {dim, hidden_dim, n_layers, n_heads, n_kv_heads, "
            "vocab_size, seq_len})"));
      }
      return s;
    }
  }
  if (c.dim % c.n_heads != 0 || c.n_heads % c.n_kv_heads != 0 ||
      c.head_size() % 2 != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama2.c checkpoint header: dim ", c.dim, ", n_heads ", c.n_heads,
        ", n_kv_heads ", c.n_kv_heads,
        " do not give an even head size shared by whole KV groups"));
  }
  if (c.version == 2 && (c.group_size <= 0 || c.group_size > kMaxDim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c v2 checkpoint header: group_size ", c.group_size,
                     " at byte 37 is out of range"));
  }
  absl::StatusOr<Layout> layout = ComputeLayout(c);
  if (!layout.ok()) return layout.status();
  if (layout->end != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama2.c v", c.version, " checkpoint size mismatch: the header (dim ",
        c.dim, ", hidden_dim ", c.hidden_dim, ", n_layers ", c.n_layers,
        ", n_heads ", c.n_heads, ", n_kv_heads ", c.n_kv_heads, ", vocab_size ",
        c.vocab_size, ", seq_len ", c.seq_len,
        c.shared_classifier ? ", shared classifier" : ", separate classifier",
        ") implies ", layout->end, " bytes, the file has ", size));
  }

  Llama2cCheckpoint checkpoint;
  checkpoint.config = c;
  auto add = [&](Kind kind, int layer) {
    const int k = static_cast<int>(kind);
    const Shape shape = ShapeOf(kind, c);
    Llama2cTensor t;
    t.name = PerLayer(kind)
                 ? absl::StrCat("blk.", layer, ".", GgufName(kind), ".weight")
                 : absl::StrCat(GgufName(kind), ".weight");
    t.dims = shape.in == 0 ? std::vector<int64_t>{shape.out}
                           : std::vector<int64_t>{shape.in, shape.out};
    t.int8 = layout->int8[k];
    const uint64_t index = PerLayer(kind) ? layer : 0;
    const uint64_t elements = shape.elements();
    t.offset =
        *layout->offset[k] + index * elements * (t.int8 ? 1 : sizeof(float));
    if (t.int8) {
      t.scale_offset = *layout->scale_offset[k] +
                       index * (elements / c.group_size) * sizeof(float);
    }
    checkpoint.tensors.push_back(std::move(t));
  };
  add(Kind::kEmbedding, 0);
  add(Kind::kFinalNorm, 0);
  if (!c.shared_classifier) add(Kind::kClassifier, 0);
  for (int l = 0; l < c.n_layers; ++l) {
    for (Kind k : {Kind::kAttNorm, Kind::kWq, Kind::kWk, Kind::kWv, Kind::kWo,
                   Kind::kFfnNorm, Kind::kW1, Kind::kW2, Kind::kW3}) {
      add(k, l);
    }
  }
  return checkpoint;
}

absl::Status ReadLlama2cTensor(const uint8_t* data, size_t size,
                               const Llama2cConfig& config,
                               const Llama2cTensor& tensor, float* out) {
  const uint64_t n = static_cast<uint64_t>(tensor.num_elements());
  const uint64_t bytes = tensor.int8 ? n : n * sizeof(float);
  if (tensor.offset > size || bytes > size - tensor.offset) {
    return absl::OutOfRangeError(
        absl::StrCat("tensor ", tensor.name, " at byte ", tensor.offset,
                     " runs past the end of the checkpoint (", size, ")"));
  }
  if (!tensor.int8) {
    std::memcpy(out, data + tensor.offset, bytes);
    return absl::OkStatus();
  }
  const uint64_t groups = n / config.group_size;
  if (tensor.scale_offset > size ||
      groups * sizeof(float) > size - tensor.scale_offset) {
    return absl::OutOfRangeError(absl::StrCat(
        "scales of tensor ", tensor.name, " at byte ", tensor.scale_offset,
        " run past the end of the checkpoint (", size, ")"));
  }
  const int8_t* q = reinterpret_cast<const int8_t*>(data + tensor.offset);
  for (uint64_t g = 0; g < groups; ++g) {
    const float scale = LoadF32(data + tensor.scale_offset + g * sizeof(float));
    for (int64_t i = 0; i < config.group_size; ++i) {
      const uint64_t j = g * config.group_size + i;
      out[j] = q[j] * scale;
    }
  }
  return absl::OkStatus();
}

namespace {

bool IsBytePiece(const std::string& piece) {
  auto hex = [](char ch) {
    return (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'F');
  };
  return piece.size() == 6 && piece.compare(0, 3, "<0x") == 0 &&
         hex(piece[3]) && hex(piece[4]) && piece[5] == '>';
}

}  // namespace

absl::StatusOr<SpmVocab> ParseLlama2cTokenizer(const uint8_t* data, size_t size,
                                               int32_t vocab_size) {
  if (vocab_size < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "vocab_size ", vocab_size, " is too small for unk, bos and eos"));
  }
  if (size < sizeof(int32_t)) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c tokenizer too short: ", size, " bytes"));
  }
  const int32_t max_token_length = LoadI32(data);
  if (max_token_length <= 0 || max_token_length > (1 << 16)) {
    return absl::InvalidArgumentError(
        absl::StrCat("llama2.c tokenizer: max_token_length ", max_token_length,
                     " at byte 0 is out of range"));
  }
  SpmVocab vocab;
  // The count comes from the checkpoint, not from this file: reserve no more
  // entries than the file can hold (8 bytes each at least), so a short
  // tokenizer cannot make us allocate for 2^24 pieces.
  const size_t room =
      std::min<size_t>(vocab_size, (size - sizeof(int32_t)) / 8);
  vocab.tokens.reserve(room);
  vocab.scores.reserve(room);
  vocab.types.reserve(room);
  size_t p = sizeof(int32_t);
  for (int32_t id = 0; id < vocab_size; ++id) {
    if (size - p < 8) {
      return absl::InvalidArgumentError(absl::StrCat(
          "llama2.c tokenizer ends at byte ", size, " inside token ", id,
          " of ", vocab_size, " (is --tokenizer for this checkpoint?)"));
    }
    const float score = LoadF32(data + p);
    const int32_t len = LoadI32(data + p + 4);
    if (len < 0 || len > max_token_length ||
        static_cast<size_t>(len) > size - p - 8) {
      return absl::InvalidArgumentError(
          absl::StrCat("llama2.c tokenizer: token ", id, " at byte ", p,
                       " has length ", len, " (max_token_length ",
                       max_token_length, ", ", size - p - 8, " bytes left)"));
    }
    std::string piece(reinterpret_cast<const char*>(data + p + 8), len);
    p += 8 + len;
    int32_t type = kTokenNormal;
    if (id == vocab.unk_id) {
      type = kTokenUnknown;
    } else if (id == vocab.bos_id || id == vocab.eos_id) {
      type = kTokenControl;
      // export_tokenizer.py wrote "\n<s>\n" and "\n</s>\n" for readability.
      if (piece.size() > 2 && piece.front() == '\n' && piece.back() == '\n') {
        piece = piece.substr(1, piece.size() - 2);
      }
    } else if (IsBytePiece(piece)) {
      type = kTokenByte;
    } else {
      // Undo export_tokenizer.py's U+2581 -> ' ' replacement.
      piece = absl::StrReplaceAll(piece, {{" ", "\xE2\x96\x81"}});
    }
    vocab.tokens.push_back(std::move(piece));
    vocab.scores.push_back(score);
    vocab.types.push_back(type);
  }
  if (p != size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "llama2.c tokenizer has ", size - p, " trailing bytes after ",
        vocab_size, " tokens (is it for a model with a larger vocabulary?)"));
  }
  return vocab;
}

}  // namespace edgellm::quant
