#include <iostream>

#include "ops/kernels/dispatch.h"
#include "runtime/cli/commands.h"
#include "runtime/cli/version.h"

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
            return 0;
          },
  };
}

}  // namespace edgellm::cli
