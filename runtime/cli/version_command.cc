#include <iostream>

#include "ops/kernels/dispatch.h"
#include "ops/kernels/quant_dispatch.h"
#include "quant/type_traits.h"
#include "runtime/cli/commands.h"
#include "util/version.h"

namespace edgellm::cli {

Command VersionCommand() {
  return Command{
      .name = "version",
      .summary = "print the version, build facts and the chosen CPU kernels",
      .usage = "edgellm version",
      .details = "",
      .flags = {},
      .run =
          [](const ParsedArgs&) {
            std::cout << "edgellm " EDGELLM_VERSION " (C++"
                      << __cplusplus / 100 % 100 << ", " << __VERSION__
                      << ")\n";
            std::cout << "q8_0 kernels built:";
            for (const ops::kernels::Q8_0GemmKernel& k :
                 ops::kernels::Q8_0GemmKernels()) {
              std::cout << " " << k.name
                        << (k.supported() ? "" : " (not on this CPU)");
            }
            std::cout << "\nq8_0 kernel chosen: "
                      << ops::kernels::BestQ8_0GemmKernel().name << "\n";
            // Every other block type: its kernels and the one chosen; a
            // type whose choice is "ref" runs the plain reference path.
            for (const quant::QuantTypeTraits& t : quant::QuantTypes()) {
              if (!t.is_weight_type() || t.type == gguf::TensorType::kQ8_0) {
                continue;
              }
              std::cout << t.name << " kernels built:";
              for (const ops::kernels::QuantGemmKernel& k :
                   ops::kernels::QuantGemmKernels(t.type)) {
                std::cout << " " << k.name
                          << (k.supported() ? "" : " (not on this CPU)");
              }
              const ops::kernels::QuantGemmKernel* best =
                  ops::kernels::BestQuantGemmKernel(t.type);
              std::cout << "; chosen: " << (best ? best->name : "none")
                        << (ops::kernels::QuantTypeUsesReferenceKernel(t.type)
                                ? " (reference path: no SIMD kernel)"
                                : "")
                        << "\n";
            }
            return 0;
          },
  };
}

}  // namespace edgellm::cli
