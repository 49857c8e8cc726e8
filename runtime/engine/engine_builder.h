// How an Engine (edgellm.h) is put together. Internal: Engine::Load calls
// it; the testing library (runtime/engine/testing) uses it to put a test
// double around the model the scheduler drives.
#ifndef EDGELLM_RUNTIME_ENGINE_ENGINE_BUILDER_H_
#define EDGELLM_RUNTIME_ENGINE_ENGINE_BUILDER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "runtime/engine/edgellm.h"
#include "runtime/engine/scheduler.h"

namespace edgellm::engine {

class EngineBuilder {
 public:
  // Given the model the scheduler would drive, returns the one it drives
  // instead (which forwards to it); nullptr = the model itself.
  using WrapModel =
      std::function<std::unique_ptr<BatchModel>(BatchModel* model)>;

  static absl::StatusOr<std::unique_ptr<Engine>> Load(
      const EngineOptions& options, const WrapModel& wrap);
};

}  // namespace edgellm::engine

#endif  // EDGELLM_RUNTIME_ENGINE_ENGINE_BUILDER_H_
