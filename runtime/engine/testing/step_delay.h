// A test double for the engine: every forward pass takes at least a given
// time, so tests of cancellation, deadlines, queueing and draining can run
// against a real server on a tiny model that is otherwise too fast to
// catch in the act. Test-only; production code has no such hook.
#ifndef EDGELLM_RUNTIME_ENGINE_TESTING_STEP_DELAY_H_
#define EDGELLM_RUNTIME_ENGINE_TESTING_STEP_DELAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "runtime/engine/edgellm.h"

namespace edgellm::testing {

// Engine::Load, with `delay` slept after every forward pass (decode step,
// prompt chunk and embedding chunk alike).
absl::StatusOr<std::unique_ptr<Engine>> LoadEngineWithStepDelay(
    const EngineOptions& options, absl::Duration delay);

}  // namespace edgellm::testing

#endif  // EDGELLM_RUNTIME_ENGINE_TESTING_STEP_DELAY_H_
