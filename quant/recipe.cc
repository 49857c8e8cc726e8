#include "quant/recipe.h"

#include <algorithm>
#include <cstdio>
#include <numeric>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "quant/type_traits.h"

namespace edgellm::quant {
namespace {

using gguf::TensorType;
using FT = FileType;

struct FileTypeEntry {
  FileType type;
  const char* name;
  TensorType default_type;
};

constexpr FileTypeEntry kFileTypes[] = {
    {FT::kF32, "f32", TensorType::kF32},
    {FT::kF16, "f16", TensorType::kF16},
    {FT::kBF16, "bf16", TensorType::kBF16},
    {FT::kQ8_0, "q8_0", TensorType::kQ8_0},
    {FT::kQ4_0, "q4_0", TensorType::kQ4_0},
    {FT::kQ4_1, "q4_1", TensorType::kQ4_1},
    {FT::kQ5_0, "q5_0", TensorType::kQ5_0},
    {FT::kQ5_1, "q5_1", TensorType::kQ5_1},
    {FT::kQ2_K, "q2_k", TensorType::kQ2_K},
    {FT::kQ3_K_S, "q3_k_s", TensorType::kQ3_K},
    {FT::kQ3_K_M, "q3_k_m", TensorType::kQ3_K},
    {FT::kQ3_K_L, "q3_k_l", TensorType::kQ3_K},
    {FT::kQ4_K_S, "q4_k_s", TensorType::kQ4_K},
    {FT::kQ4_K_M, "q4_k_m", TensorType::kQ4_K},
    {FT::kQ5_K_S, "q5_k_s", TensorType::kQ5_K},
    {FT::kQ5_K_M, "q5_k_m", TensorType::kQ5_K},
    {FT::kQ6_K, "q6_k", TensorType::kQ6_K},
    {FT::kIQ4_NL, "iq4_nl", TensorType::kIQ4_NL},
    {FT::kIQ4_XS, "iq4_xs", TensorType::kIQ4_XS},
};

const FileTypeEntry& Entry(FileType t) {
  for (const FileTypeEntry& e : kFileTypes) {
    if (e.type == t) return e;
  }
  return kFileTypes[0];
}

// The block of values a type's rows must split into (1 for plain types).
int64_t BlockValues(TensorType t) {
  const QuantTypeTraits* q = FindQuantType(t);
  return q != nullptr ? q->block_values : 1;
}

std::string TypeName(TensorType t) {
  absl::StatusOr<gguf::TensorTypeTraits> traits =
      gguf::GetTensorTypeTraits(static_cast<uint32_t>(t));
  return traits.ok() ? std::string(traits->name) : "?";
}

// llama-quant.cpp's tensor categories (by name, not by architecture).
enum class Category {
  kTokenEmbd,
  kAttnQ,
  kAttnV,
  kAttnK,
  kAttnQkv,
  kAttnKvB,
  kAttnOutput,
  kFfnUp,
  kFfnGate,
  kFfnDown,
  kOutput,
  kOther
};

Category CategoryOf(const std::string& name) {
  if (name == "output.weight") return Category::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight")
    return Category::kTokenEmbd;
  if (absl::StrContains(name, "attn_qkv.weight")) return Category::kAttnQkv;
  if (absl::StrContains(name, "attn_kv_b.weight")) return Category::kAttnKvB;
  if (absl::StrContains(name, "attn_v.weight")) return Category::kAttnV;
  if (absl::StrContains(name, "attn_k.weight")) return Category::kAttnK;
  if (absl::StrContains(name, "attn_q.weight")) return Category::kAttnQ;
  if (absl::StrContains(name, "attn_output.weight"))
    return Category::kAttnOutput;
  if (absl::StrContains(name, "ffn_up")) return Category::kFfnUp;
  if (absl::StrContains(name, "ffn_gate")) return Category::kFfnGate;
  if (absl::StrContains(name, "ffn_down")) return Category::kFfnDown;
  return Category::kOther;
}

// A fused QKV counts as attention-value (more sensitive to quantization).
bool IsAttnVLike(Category c) {
  return c == Category::kAttnV || c == Category::kAttnQkv ||
         c == Category::kAttnKvB;
}

// What llama-quantize quantizes at all: 2-D and larger weights, not norms,
// not MoE routers, not BERT's position/token-type embeddings.
bool AllowsQuantization(const RecipeTensor& t) {
  if (t.dims.size() < 2) return false;
  const std::string& n = t.name;
  if (!absl::EndsWith(n, "weight")) return false;
  if (absl::StrContains(n, "_norm.weight")) return false;
  if (absl::StrContains(n, "ffn_gate_inp.weight")) return false;
  if (n == "position_embd.weight" || n == "token_types.weight") return false;
  return true;
}

// More bits for the first and last eighth of the layers and every third in
// between (llama-quant.cpp use_more_bits).
bool UseMoreBits(int i, int n) {
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

struct Counters {
  int n_attention_wv = 0, i_attention_wv = 0, i_ffn_down = 0;
  bool tied = true;
};

// llama_tensor_get_type_impl for the file types above, dense models.
TensorType RecipeType(FileType ft, TensorType t, const RecipeTensor& tensor,
                      Category c, const RecipeModel& m, Counters* k) {
  if (c == Category::kOutput || (k->tied && c == Category::kTokenEmbd)) {
    if (tensor.dims[0] % BlockValues(t) != 0) return TensorType::kQ8_0;
    return t != TensorType::kQ8_0 ? TensorType::kQ6_K : t;
  }
  if (c == Category::kTokenEmbd) return t;
  if (IsAttnVLike(c)) {
    const int i = k->i_attention_wv++, n = k->n_attention_wv;
    if (ft == FT::kQ2_K)
      return m.n_gqa >= 4 ? TensorType::kQ4_K : TensorType::kQ3_K;
    if (ft == FT::kQ3_K_M) return i < 2 ? TensorType::kQ5_K : TensorType::kQ4_K;
    if (ft == FT::kQ3_K_L) return TensorType::kQ5_K;
    if ((ft == FT::kIQ4_NL || ft == FT::kIQ4_XS) && m.n_gqa >= 4)
      return TensorType::kQ5_K;
    if ((ft == FT::kQ4_K_M || ft == FT::kQ5_K_M) && UseMoreBits(i, n))
      return TensorType::kQ6_K;
    if (ft == FT::kQ4_K_S && i < 4) return TensorType::kQ5_K;
    return t;
  }
  if (c == Category::kFfnDown) {
    const int i = k->i_ffn_down++, n = m.n_layer;
    switch (ft) {
      case FT::kQ2_K:
        return TensorType::kQ3_K;
      case FT::kQ3_K_M:
        return i < n / 16 ? TensorType::kQ5_K : TensorType::kQ4_K;
      case FT::kQ3_K_L:
        return TensorType::kQ5_K;
      case FT::kQ4_K_M:
        return UseMoreBits(i, n) ? TensorType::kQ6_K : t;
      case FT::kIQ4_NL:
      case FT::kIQ4_XS:
        return i < n / 8 ? TensorType::kQ5_K : t;
      case FT::kQ5_K_M:
        return UseMoreBits(i, n) ? TensorType::kQ6_K : t;
      case FT::kQ4_K_S:
        return i < n / 8 ? TensorType::kQ5_K : t;
      default:
        return t;
    }
  }
  if (c == Category::kAttnOutput) {
    if (ft == FT::kQ2_K) return TensorType::kQ3_K;
    if (ft == FT::kQ3_K_M) return TensorType::kQ4_K;
    if (ft == FT::kQ3_K_L) return TensorType::kQ5_K;
  }
  return t;
}

// llama-quant.cpp tensor_type_fallback: a type whose blocks do not divide
// the rows falls back to a 32-value type; if that does not divide them
// either (or the type has none), the tensor stays F32.
TensorType Fallback(TensorType t, int64_t ncols, std::string* note) {
  if (ncols % BlockValues(t) == 0) return t;
  TensorType f;
  switch (t) {
    case TensorType::kIQ4_XS:
      f = TensorType::kIQ4_NL;
      break;
    case TensorType::kQ2_K:
    case TensorType::kQ3_K:
      f = TensorType::kQ4_0;
      break;
    case TensorType::kQ4_K:
      f = TensorType::kQ5_0;
      break;
    case TensorType::kQ5_K:
      f = TensorType::kQ5_1;
      break;
    case TensorType::kQ6_K:
      f = TensorType::kQ8_0;
      break;
    default:
      f = TensorType::kF32;
      break;
  }
  if (ncols % BlockValues(f) != 0) f = TensorType::kF32;
  const std::string why =
      absl::StrCat("rows of ", ncols, " values are not a multiple of the ",
                   TypeName(t), " block size ", BlockValues(t));
  *note = f == TensorType::kF32 ? absl::StrCat("kept as f32: ", why)
                                : absl::StrCat(TypeName(f), " instead of ",
                                               TypeName(t), ": ", why);
  return f;
}

int LayerOf(const std::string& name) {
  int layer = -1;
  if (std::sscanf(name.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

}  // namespace

absl::StatusOr<FileType> ParseFileType(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const FileTypeEntry& e : kFileTypes) {
    if (lower == e.name) return e.type;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported output type '", name,
      "' (supported: ", absl::StrJoin(FileTypeNames(), ", "), ")"));
}

std::string FileTypeName(FileType type) { return Entry(type).name; }

std::vector<std::string> FileTypeNames() {
  std::vector<std::string> names;
  for (const FileTypeEntry& e : kFileTypes) names.push_back(e.name);
  return names;
}

TensorType DefaultTensorType(FileType type) { return Entry(type).default_type; }

bool IsQuantizedFileType(FileType type) {
  return FindQuantType(DefaultTensorType(type)) != nullptr;
}

std::vector<RecipeChoice> ChooseTensorTypes(
    FileType type, absl::Span<const RecipeTensor> tensors,
    const RecipeModel& model) {
  Counters k;
  for (const RecipeTensor& t : tensors) {
    const Category c = CategoryOf(t.name);
    if (IsAttnVLike(c)) ++k.n_attention_wv;
    if (c == Category::kOutput) k.tied = false;
  }
  // The counters advance in llama-quantize's tensor order.
  std::vector<std::string> names;
  for (const RecipeTensor& t : tensors) names.push_back(t.name);
  std::vector<RecipeChoice> out(tensors.size());
  const TensorType default_type = DefaultTensorType(type);
  for (size_t idx : LlamaQuantizeTensorOrder(names)) {
    const RecipeTensor& t = tensors[idx];
    RecipeChoice& choice = out[idx];
    if (!AllowsQuantization(t)) {
      const bool plain = t.source_type == TensorType::kF32 ||
                         t.source_type == TensorType::kF16 ||
                         t.source_type == TensorType::kBF16;
      choice.type = plain ? t.source_type : TensorType::kF32;
      continue;
    }
    TensorType chosen = default_type;
    if (IsQuantizedFileType(type)) {
      chosen = RecipeType(type, default_type, t, CategoryOf(t.name), model, &k);
      chosen = Fallback(chosen, t.dims[0], &choice.note);
    }
    choice.type = chosen;
  }
  return out;
}

std::vector<size_t> LlamaQuantizeTensorOrder(
    absl::Span<const std::string> names) {
  std::vector<size_t> order(names.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int la = LayerOf(names[a]), lb = LayerOf(names[b]);
    if (la != lb) return la < lb;
    return names[a] < names[b];
  });
  return order;
}

}  // namespace edgellm::quant
