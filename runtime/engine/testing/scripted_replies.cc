#include "runtime/engine/testing/scripted_replies.h"

#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/engine/engine_builder.h"
#include "runtime/engine/scheduler.h"
#include "runtime/tokenizer/tokenizer.h"

namespace edgellm::testing {
namespace {

class ScriptedBatchModel : public engine::BatchModel {
 public:
  ScriptedBatchModel(engine::BatchModel* inner,
                     std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                     std::vector<ScriptedReply> replies)
      : inner_(inner),
        tokenizer_(std::move(tokenizer)),
        replies_(std::move(replies)),
        slots_(inner->slots()) {}

  absl::Status Forward(absl::Span<const model::BatchToken> batch,
                       float* logits) override {
    if (absl::Status s = inner_->Forward(batch, logits); !s.ok()) return s;
    const size_t vocab = static_cast<size_t>(vocab_size());
    size_t row = 0;
    for (const model::BatchToken& t : batch) {
      Slot& slot = slots_[t.slot];
      if (t.pos == 0) slot = Slot();  // a new sequence on this slot
      slot.fed.push_back(t.token);
      if (!t.want_logits) continue;
      if (!slot.chosen) Choose(slot);
      float* out = logits + row * vocab;
      ++row;
      std::fill(out, out + vocab, -std::numeric_limits<float>::infinity());
      out[slot.next < slot.script.size() ? slot.script[slot.next++]
                                         : EndToken()] = 0.0f;
    }
    return absl::OkStatus();
  }
  int32_t vocab_size() const override { return inner_->vocab_size(); }
  int32_t context() const override { return inner_->context(); }
  int32_t slots() const override { return inner_->slots(); }
  int32_t max_batch() const override { return inner_->max_batch(); }
  absl::Status ForwardHidden(absl::Span<const model::BatchToken> batch,
                             float* hidden) override {
    return inner_->ForwardHidden(batch, hidden);
  }
  int32_t hidden_size() const override { return inner_->hidden_size(); }

 private:
  struct Slot {
    std::vector<int32_t> fed;  // the prompt, then the tokens fed back
    bool chosen = false;
    std::vector<int32_t> script;
    size_t next = 0;
  };

  // At the prompt's end: the reply whose condition the prompt meets.
  void Choose(Slot& slot) const {
    slot.chosen = true;
    tokenizer::DecodeOptions decode;
    decode.render_special = true;
    decode.strip_leading_space = false;
    const std::string prompt = tokenizer_->Decode(slot.fed, decode);
    for (const ScriptedReply& r : replies_) {
      if (prompt.find(r.when_prompt_contains) == std::string::npos) continue;
      tokenizer::EncodeOptions encode;
      encode.parse_special = true;
      slot.script = tokenizer_->Encode(r.reply, encode);
      return;
    }
  }

  int32_t EndToken() const {
    const tokenizer::SpecialTokens& s = tokenizer_->special();
    if (s.eot != tokenizer::kNoToken) return s.eot;
    if (s.eos != tokenizer::kNoToken) return s.eos;
    return tokenizer_->end_of_generation_ids().empty()
               ? 0
               : tokenizer_->end_of_generation_ids().front();
  }

  engine::BatchModel* const inner_;
  const std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  const std::vector<ScriptedReply> replies_;
  std::vector<Slot> slots_;  // used by the scheduler thread only
};

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> LoadEngineWithScriptedReplies(
    const EngineOptions& options, std::vector<ScriptedReply> replies) {
  // The double's own copy of the vocabulary: the engine's is internal.
  absl::StatusOr<std::unique_ptr<tokenizer::Tokenizer>> tok =
      tokenizer::Tokenizer::Load(options.model_path);
  if (!tok.ok()) return tok.status();
  std::shared_ptr<const tokenizer::Tokenizer> shared = std::move(*tok);
  return engine::EngineBuilder::Load(
      options, [shared, replies = std::move(replies)](engine::BatchModel* m) {
        return std::make_unique<ScriptedBatchModel>(m, shared, replies);
      });
}

absl::StatusOr<std::vector<ScriptedReply>> ReadScriptedReplies(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::stringstream text;
  text << in.rdbuf();
  const nlohmann::json j =
      nlohmann::json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": want a JSON array of {when_prompt_contains, "
                     "reply}"));
  }
  std::vector<ScriptedReply> replies;
  for (const nlohmann::json& r : j) {
    if (!r.is_object() || !r.value("reply", nlohmann::json()).is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": every entry needs a \"reply\" string"));
    }
    replies.push_back(
        {r.value("when_prompt_contains", ""), r["reply"].get<std::string>()});
  }
  return replies;
}

}  // namespace edgellm::testing
