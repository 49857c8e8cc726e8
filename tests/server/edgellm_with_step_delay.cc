// `edgellm serve` over an engine whose every forward pass takes at least
// --step-delay-ms (runtime/engine/testing/step_delay.h), so the end-to-end
// tests can catch a tiny model mid-generation: cancellation, deadlines, the
// wait queue and draining; and, with --load-delay-ms, whose model load takes
// at least that long, so readiness tests can see the server while it loads.
// Test-only.
//
//   edgellm_with_step_delay serve --step-delay-ms 5 [--load-delay-ms 2000]
//       --model M.gguf ...
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/engine/testing/step_delay.h"

int main(int argc, char** argv) {
  double delay_ms = 0;
  double load_delay_ms = 0;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--step-delay-ms" && i + 1 < argc) {
      delay_ms = std::atof(argv[++i]);
      continue;
    }
    if (std::string(argv[i]) == "--load-delay-ms" && i + 1 < argc) {
      load_delay_ms = std::atof(argv[++i]);
      continue;
    }
    args.push_back(argv[i]);
  }
  if (delay_ms <= 0) {
    std::cerr << "edgellm_with_step_delay: give --step-delay-ms MS (> 0)\n";
    return 2;
  }
  const absl::Duration delay = absl::Milliseconds(delay_ms);
  const absl::Duration load_delay = absl::Milliseconds(load_delay_ms);
  edgellm::cli::Command serve = edgellm::cli::ServeCommandWith(
      [delay, load_delay](const edgellm::EngineOptions& options) {
        absl::SleepFor(load_delay);
        return edgellm::testing::LoadEngineWithStepDelay(options, delay);
      });
  return edgellm::cli::RunMain({serve}, static_cast<int>(args.size()),
                               args.data());
}
