#include "runtime/model/architecture.h"

#include <array>

#include "absl/strings/str_cat.h"

namespace edgellm::model {
namespace {

ArchitectureDescription Llama() {
  // Llama 2/3/3.2, TinyLlama, SmolLM/SmolLM2, Mistral (llama.cpp
  // src/models/llama.cpp): the plain block. Llama 3's context scaling is a
  // rope_freqs tensor or rope.scaling.* keys (ModelConfig::rope_scaling).
  ArchitectureDescription a;
  a.name = "llama";
  a.full_rotary = true;
  return a;
}

ArchitectureDescription Qwen2() {
  // Qwen2/2.5: Q/K/V biases, NeoX pairs.
  ArchitectureDescription a;
  a.name = "qwen2";
  a.rope_style = RopeStyle::kNeox;
  a.qkv_bias = true;
  a.default_chat_template = "chatml";
  return a;
}

ArchitectureDescription Qwen3() {
  // Qwen3 dense: no biases; per-head RMSNorm of q and k before RoPE; head
  // width from attention.key_length (128 at every size).
  ArchitectureDescription a;
  a.name = "qwen3";
  a.rope_style = RopeStyle::kNeox;
  a.qk_norm = true;
  a.default_chat_template = "chatml";
  return a;
}

ArchitectureDescription Gemma3() {
  // Gemma 3 text (src/models/gemma3.cpp): embeddings scaled by sqrt(n_embd),
  // norms before and after both branches (the converter stores the "+1" of
  // Gemma's RMSNorm in the weights), GeGLU, q/k norm, five local
  // (sliding-window) layers per global one with their own RoPE base.
  ArchitectureDescription a;
  a.name = "gemma3";
  a.rope_style = RopeStyle::kNeox;
  a.activation = FfnActivation::kGeluTanh;
  a.qk_norm = true;
  a.post_norms = true;
  a.scale_embeddings = true;
  a.swa_default_period = 6;
  a.width_attention_scale_layers = 62;
  a.default_chat_template = "gemma";
  return a;
}

ArchitectureDescription Phi3() {
  // Phi-3/3.5-mini, Phi-4-mini (src/models/phi3.cpp): fused attn_qkv and
  // gate/up, partial rotary (rope.dimension_count < head_dim), LongRoPE
  // factor tensors. Its sliding_window key is ignored, as llama.cpp does.
  ArchitectureDescription a;
  a.name = "phi3";
  a.rope_style = RopeStyle::kNeox;
  a.fused_qkv = true;
  a.fused_gate_up = true;
  a.long_rope = true;
  a.default_chat_template = "phi3";
  return a;
}

ArchitectureDescription SmolLm3() {
  // SmolLM3 (src/models/smollm3.cpp): llama with every 4th layer NoPE.
  ArchitectureDescription a;
  a.name = "smollm3";
  a.no_rope_layer_step = 4;
  a.default_chat_template = "chatml";
  return a;
}

const std::array<ArchitectureDescription, 6>& Table() {
  static const std::array<ArchitectureDescription, 6> table = {
      Llama(), Qwen2(), Qwen3(), Gemma3(), Phi3(), SmolLm3()};
  return table;
}

}  // namespace

const ArchitectureDescription* FindArchitecture(std::string_view name) {
  for (const ArchitectureDescription& a : Table()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::string SupportedArchitectureNames() {
  std::string out;
  for (const ArchitectureDescription& a : Table()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", std::string(a.name));
  }
  return out;
}

std::vector<std::string> DescribeArchitecture(
    const ArchitectureDescription& a) {
  std::vector<std::string> out;
  out.push_back(a.rope_style == RopeStyle::kNeox ? "rope neox"
                                                 : "rope adjacent pairs");
  if (a.full_rotary) out.push_back("full rotary");
  if (a.no_rope_layer_step > 0) {
    out.push_back(
        absl::StrCat("no rope every ", a.no_rope_layer_step, "th layer"));
  }
  if (a.long_rope) out.push_back("longrope factors");
  out.push_back(a.activation == FfnActivation::kGeluTanh
                    ? "geglu (gelu-tanh, fp16 table)"
                    : "swiglu");
  if (a.qkv_bias) out.push_back("qkv bias");
  if (a.qk_norm) out.push_back("qk-norm per head");
  if (a.post_norms) out.push_back("post-attention and post-ffn norms");
  if (a.scale_embeddings) out.push_back("embeddings x sqrt(n_embd)");
  if (a.fused_qkv) out.push_back("fused qkv");
  if (a.fused_gate_up) out.push_back("fused gate/up");
  if (a.swa_default_period > 0) {
    out.push_back(absl::StrCat("sliding window on local layers (pattern ",
                               a.swa_default_period, ")"));
  }
  return out;
}

}  // namespace edgellm::model
