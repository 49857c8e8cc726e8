#include "ops/kernels/quant_dispatch.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include "ops/kernels/cpu_features.h"
#include "ops/kernels/q8_0_gemm.h"
#include "ops/kernels/quant_pack16.h"
#include "quant/q8_0.h"

namespace edgellm::ops::kernels {
namespace {

using gguf::TensorType;

// One type's kernels: the reference first, then the SIMD kernels built for
// this architecture, slowest first.
struct TypeKernels {
  TensorType type;
  std::vector<QuantGemmKernel> kernels;
  const QuantGemmKernel* best = nullptr;
};

std::vector<TypeKernels> BuildTables() {
  constexpr TensorType kTypes[] = {
      TensorType::kQ4_0,   TensorType::kQ4_1,  TensorType::kQ5_0,
      TensorType::kQ5_1,   TensorType::kQ2_K,  TensorType::kQ3_K,
      TensorType::kQ4_K,   TensorType::kQ5_K,  TensorType::kQ6_K,
      TensorType::kIQ4_NL, TensorType::kIQ4_XS};
  std::vector<TypeKernels> tables;
  for (TensorType t : kTypes) {
    TypeKernels tk{t, {{"ref", t, QuantGemmRef(t), &CpuAlways}}};
    tables.push_back(std::move(tk));
  }
  auto add = [&](TensorType t, const QuantGemmKernel& k) {
    for (TypeKernels& tk : tables) {
      if (tk.type == t) tk.kernels.push_back(k);
    }
  };
  (void)add;
#if defined(__x86_64__)
  // AVX2 first: the VNNI kernel (same packed layout) wins where both run.
  add(TensorType::kQ4_0, {"avx2", TensorType::kQ4_0, &QuantGemmQ4_0Avx2,
                          &CpuHasAvx2, &PackQ4_0Rows16, &UnpackQ4_0Row16});
  add(TensorType::kQ5_0, {"avx2", TensorType::kQ5_0, &QuantGemmQ5_0Avx2,
                          &CpuHasAvx2, &PackQ5_0Rows16, &UnpackQ5_0Row16});
  add(TensorType::kQ4_K, {"avx2", TensorType::kQ4_K, &QuantGemmQ4_KAvx2,
                          &CpuHasAvx2, &PackQ4_KRows16, &UnpackQ4_KRow16});
  add(TensorType::kQ5_K, {"avx2", TensorType::kQ5_K, &QuantGemmQ5_KAvx2,
                          &CpuHasAvx2, &PackQ5_KRows16, &UnpackQ5_KRow16});
  add(TensorType::kQ6_K, {"avx2", TensorType::kQ6_K, &QuantGemmQ6_KAvx2,
                          &CpuHasAvx2, &PackQ6_KRows16, &UnpackQ6_KRow16});
  add(TensorType::kQ4_0,
      {"avx512vnni", TensorType::kQ4_0, &QuantGemmQ4_0Avx512Vnni,
       &CpuHasAvx512Vnni, &PackQ4_0Rows16, &UnpackQ4_0Row16});
  add(TensorType::kQ5_0,
      {"avx512vnni", TensorType::kQ5_0, &QuantGemmQ5_0Avx512Vnni,
       &CpuHasAvx512Vnni, &PackQ5_0Rows16, &UnpackQ5_0Row16});
  add(TensorType::kQ4_K,
      {"avx512vnni", TensorType::kQ4_K, &QuantGemmQ4_KAvx512Vnni,
       &CpuHasAvx512Vnni, &PackQ4_KRows16, &UnpackQ4_KRow16});
  add(TensorType::kQ5_K,
      {"avx512vnni", TensorType::kQ5_K, &QuantGemmQ5_KAvx512Vnni,
       &CpuHasAvx512Vnni, &PackQ5_KRows16, &UnpackQ5_KRow16});
  add(TensorType::kQ6_K,
      {"avx512vnni", TensorType::kQ6_K, &QuantGemmQ6_KAvx512Vnni,
       &CpuHasAvx512Vnni, &PackQ6_KRows16, &UnpackQ6_KRow16});
#endif
#if defined(__aarch64__)
  // NEON is part of ARMv8-A; dotprod and i8mm per the CPU (cpu_features.h).
  // Plain GGUF rows unless a pack function is given.
  add(TensorType::kQ4_0,
      {"neon", TensorType::kQ4_0, &QuantGemmQ4_0Neon, &CpuAlways});
  add(TensorType::kQ4_K,
      {"neon", TensorType::kQ4_K, &QuantGemmQ4_KNeon, &CpuAlways});
  add(TensorType::kQ5_K,
      {"neon", TensorType::kQ5_K, &QuantGemmQ5_KNeon, &CpuAlways});
  add(TensorType::kQ6_K,
      {"neon", TensorType::kQ6_K, &QuantGemmQ6_KNeon, &CpuAlways});
  // The dotprod kernels of Q4_0 and Q4_K also read the x86 kernels' 16-row
  // records (quant_pack16.h), repacked at load: fewer instructions per row.
  add(TensorType::kQ4_0,
      {"neon_dotprod", TensorType::kQ4_0, &QuantGemmQ4_0NeonDotprod,
       &CpuHasNeonDot, &PackQ4_0Rows16, &UnpackQ4_0Row16});
  add(TensorType::kQ4_K,
      {"neon_dotprod", TensorType::kQ4_K, &QuantGemmQ4_KNeonDotprod,
       &CpuHasNeonDot, &PackQ4_KRows16, &UnpackQ4_KRow16});
  add(TensorType::kQ5_K, {"neon_dotprod", TensorType::kQ5_K,
                          &QuantGemmQ5_KNeonDotprod, &CpuHasNeonDot});
  add(TensorType::kQ6_K, {"neon_dotprod", TensorType::kQ6_K,
                          &QuantGemmQ6_KNeonDotprod, &CpuHasNeonDot});
  add(TensorType::kQ4_0,
      {"neon_i8mm", TensorType::kQ4_0, &QuantGemmQ4_0NeonI8mm, &CpuHasNeonI8mm,
       &PackQ4_0Rows16, &UnpackQ4_0Row16});
  add(TensorType::kQ4_K,
      {"neon_i8mm", TensorType::kQ4_K, &QuantGemmQ4_KNeonI8mm, &CpuHasNeonI8mm,
       &PackQ4_KRows16, &UnpackQ4_KRow16});
  add(TensorType::kQ5_K, {"neon_i8mm", TensorType::kQ5_K,
                          &QuantGemmQ5_KNeonI8mm, &CpuHasNeonI8mm});
  add(TensorType::kQ6_K, {"neon_i8mm", TensorType::kQ6_K,
                          &QuantGemmQ6_KNeonI8mm, &CpuHasNeonI8mm});
  // Q5_0 (Gemma 3's Q4_K_M files: rows of 1152 are not multiples of 256).
  add(TensorType::kQ5_0,
      {"neon", TensorType::kQ5_0, &QuantGemmQ5_0Neon, &CpuAlways});
  add(TensorType::kQ5_0, {"neon_dotprod", TensorType::kQ5_0,
                          &QuantGemmQ5_0NeonDotprod, &CpuHasNeonDot});
  add(TensorType::kQ5_0, {"neon_i8mm", TensorType::kQ5_0,
                          &QuantGemmQ5_0NeonI8mm, &CpuHasNeonI8mm});
#endif
  const char* want = std::getenv("EDGELLM_QUANT_KERNEL");
  for (TypeKernels& tk : tables) {
    for (const QuantGemmKernel& k : tk.kernels) {
      if (k.supported()) tk.best = &k;
    }
    if (want == nullptr || *want == '\0') continue;
    for (const QuantGemmKernel& k : tk.kernels) {
      if (std::strcmp(k.name, want) == 0 && k.supported()) tk.best = &k;
    }
  }
  return tables;
}

const TypeKernels* Find(TensorType type) {
  static const std::vector<TypeKernels>* const tables =
      new std::vector<TypeKernels>(BuildTables());
  for (const TypeKernels& tk : *tables) {
    if (tk.type == type) return &tk;
  }
  return nullptr;
}

bool ForcedReference() {
  const char* want = std::getenv("EDGELLM_QUANT_KERNEL");
  return want != nullptr && std::strcmp(want, "ref") == 0;
}

#if defined(__x86_64__)
// The Q8_0 kernels' AVX2 quantizer (output identical to
// QuantizeRowQ8_0Activations) as an ActivationQuantizeFn.
void QuantizeQ8_0Avx2(const float* x, void* y, int64_t k) {
  QuantizeRowQ8_0ActivationsAvx2(x, static_cast<quant::BlockQ8_0*>(y),
                                 static_cast<size_t>(k));
}
#endif

}  // namespace

absl::Span<const QuantGemmKernel> QuantGemmKernels(TensorType type) {
  const TypeKernels* tk = Find(type);
  if (tk == nullptr) return {};
  return tk->kernels;
}

const QuantGemmKernel* BestQuantGemmKernel(TensorType type) {
  const TypeKernels* tk = Find(type);
  return tk == nullptr ? nullptr : tk->best;
}

bool QuantTypeUsesReferenceKernel(TensorType type) {
  const QuantGemmKernel* k = BestQuantGemmKernel(type);
  return k != nullptr && std::strcmp(k->name, "ref") == 0;
}

ActivationQuantizeFn BestActivationQuantizer(const ActivationFormat& format) {
  static const bool reference = ForcedReference();
  if (reference) return format.quantize;
#if defined(__x86_64__)
  if (CpuHasAvx2()) {
    if (format.type == TensorType::kQ8_0) return &QuantizeQ8_0Avx2;
    if (format.type == TensorType::kQ8_K) return &QuantizeRowQ8_KAvx2;
  }
#endif
  return format.quantize;
}

}  // namespace edgellm::ops::kernels
