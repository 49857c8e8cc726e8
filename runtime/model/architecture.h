// What distinguishes one decoder-only architecture from another: one row of
// a table per GGUF `general.architecture`, read by ReadModelConfig (which
// keys mean what), BindWeights (which tensors exist) and the Transformer
// (which blocks run). Everything else — the hyperparameters, the attention
// window, the RoPE bases — comes from the file's metadata.
//
// Every architecture runs the same pre-norm block:
//
//   x = token_embd[id]  (* sqrt(n_embd) with scale_embeddings)
//   per layer:
//     h = rmsnorm(x) * attn_norm
//     q, k, v = Wq h, Wk h, Wv h  (+ biases; or one fused attn_qkv)
//     qk_norm: q, k = rmsnorm per head * attn_{q,k}_norm
//     RoPE on q, k (unless the layer is a no-RoPE layer)
//     a = Wo attention(q, k, v)   (causal; local layers: sliding window)
//     post_norms: a = rmsnorm(a) * post_attention_norm
//     x += a
//     h = rmsnorm(x) * ffn_norm
//     f = W_down (act(W_gate h) * W_up h)   (or gate/up fused in ffn_up)
//     post_norms: f = rmsnorm(f) * post_ffw_norm
//     x += f
//   logits = output (or token_embd when tied) * (rmsnorm(x) * output_norm)
//
// following llama.cpp's graphs (src/models/*.cpp) and HF transformers'
// modeling files for each architecture. Adding an architecture that fits this
// block is one row in architecture.cc and a test.
#ifndef EDGELLM_RUNTIME_MODEL_ARCHITECTURE_H_
#define EDGELLM_RUNTIME_MODEL_ARCHITECTURE_H_

#include <string>
#include <string_view>
#include <vector>

namespace edgellm::model {

// Which values form a RoPE pair: (2i, 2i+1) (llama.cpp LLAMA_ROPE_TYPE_NORM)
// or (i, i + rot_dims/2) (LLAMA_ROPE_TYPE_NEOX, HF's rotate_half).
enum class RopeStyle { kAdjacentPairs, kNeox };

// The gated feed-forward's activation on the gate: SiLU (SwiGLU) or GELU in
// its tanh form (GeGLU, Gemma).
enum class FfnActivation { kSilu, kGeluTanh };

struct ArchitectureDescription {
  std::string_view name;  // general.architecture
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  FfnActivation activation = FfnActivation::kSilu;
  bool qkv_bias = false;          // attn_{q,k,v}.bias required
  bool qk_norm = false;           // attn_{q,k}_norm, per head, before RoPE
  bool post_norms = false;        // post_attention_norm, post_ffw_norm
  bool scale_embeddings = false;  // x = token_embd[id] * sqrtf(n_embd)
  bool fused_qkv = false;         // blk.N.attn_qkv: q rows, then k, then v
  bool fused_gate_up = false;     // blk.N.ffn_up: gate rows, then up rows
  // Layers il with (il + 1) % no_rope_layer_step == 0 skip RoPE (SmolLM3's
  // NoPE layers; llama.cpp hard-codes the step, the converter writes none).
  int no_rope_layer_step = 0;
  // Sliding-window attention from {arch}.attention.sliding_window on the
  // local layers: layer il is local when il % period < period - 1, the
  // period from {arch}.attention.sliding_window_pattern or this default
  // (Gemma 3: 6). 0: the architecture has no local layers (a
  // sliding_window key is ignored, as llama.cpp ignores Phi-3's).
  int swa_default_period = 0;
  // Local layers' RoPE base when {arch}.rope.freq_base_swa is absent; they
  // take no linear scaling (llama.cpp rope_freq_{base,scale}_train_swa).
  float swa_default_rope_base = 10000.0f;
  // LongRoPE (Phi-3 128k, Phi-4-mini): rope_factors_{short,long}.weight,
  // chosen by the context size against rope.scaling.original_context_length,
  // and rope.scaling.attn_factor on the rotated dims.
  bool long_rope = false;
  // A model of exactly this many layers scales q.k by 1/sqrt(n_embd /
  // n_head) instead of 1/sqrt(head_dim): Gemma 3 27B's
  // query_pre_attn_scalar, which llama.cpp keys on the layer count (62).
  int width_attention_scale_layers = 0;
  // llama.cpp's loader requires rope.dimension_count == head_dim.
  bool full_rotary = false;
  // The chat template family (runtime/server/chat_template.h names) a model
  // of this architecture uses when its file carries no template; "" if the
  // architecture spans several (Llama 2 and 3 are both `llama`).
  std::string_view default_chat_template;
};

// The row for `name`, or nullptr.
const ArchitectureDescription* FindArchitecture(std::string_view name);

// Every supported name, in table order ("llama, qwen2, ...").
std::string SupportedArchitectureNames();

// The row as short phrases for `inspect`, e.g. {"rope neox", "qk-norm",
// "geglu (gelu-tanh)", ...}.
std::vector<std::string> DescribeArchitecture(const ArchitectureDescription& a);

}  // namespace edgellm::model

#endif  // EDGELLM_RUNTIME_MODEL_ARCHITECTURE_H_
