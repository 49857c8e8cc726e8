#include "runtime/engine/testing/step_delay.h"

#include "runtime/engine/engine_builder.h"
#include "runtime/engine/scheduler.h"

namespace edgellm::testing {
namespace {

class DelayedBatchModel : public engine::BatchModel {
 public:
  DelayedBatchModel(engine::BatchModel* inner, absl::Duration delay)
      : inner_(inner), delay_(delay) {}
  absl::Status Forward(absl::Span<const model::BatchToken> batch,
                       float* logits) override {
    absl::Status status = inner_->Forward(batch, logits);
    absl::SleepFor(delay_);
    return status;
  }
  int32_t vocab_size() const override { return inner_->vocab_size(); }
  int32_t context() const override { return inner_->context(); }
  int32_t slots() const override { return inner_->slots(); }
  int32_t max_batch() const override { return inner_->max_batch(); }
  absl::Status ForwardHidden(absl::Span<const model::BatchToken> batch,
                             float* hidden) override {
    absl::Status status = inner_->ForwardHidden(batch, hidden);
    absl::SleepFor(delay_);
    return status;
  }
  int32_t hidden_size() const override { return inner_->hidden_size(); }

 private:
  engine::BatchModel* const inner_;
  const absl::Duration delay_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> LoadEngineWithStepDelay(
    const EngineOptions& options, absl::Duration delay) {
  return engine::EngineBuilder::Load(
      options, [delay](engine::BatchModel* model) {
        return std::make_unique<DelayedBatchModel>(model, delay);
      });
}

}  // namespace edgellm::testing
