// EstimateMemory (edgellm.h): the model file's size and the KV cache that
// Engine::Load will allocate, from the file's header alone, so a server can
// check them against the memory it may use before it commits to loading.
#include <algorithm>

#include "runtime/engine/edgellm.h"
#include "runtime/gguf/gguf.h"
#include "runtime/model/config.h"
#include "runtime/model/encoder_config.h"
#include "runtime/model/kv_cache.h"
#include "runtime/model/transformer.h"
#include "util/exception_status.h"
#include "util/status_macros.h"

namespace edgellm {

absl::StatusOr<MemoryEstimate> EstimateMemory(const EngineOptions& options) {
  return CatchExceptions(
      "estimating memory", [&]() -> absl::StatusOr<MemoryEstimate> {
        EDGELLM_ASSIGN_OR_RETURN(std::unique_ptr<gguf::GgufFile> file,
                                 gguf::GgufFile::Open(options.model_path));
        if (absl::StatusOr<std::string_view> arch =
                file->GetString("general.architecture");
            arch.ok() && model::IsEncoderArchitecture(*arch)) {
          // An encoder caches nothing between passes; its activations
          // (a few tens of MB at the pass size) are left out, as the
          // decoder's are.
          EDGELLM_ASSIGN_OR_RETURN(model::EncoderConfig config,
                                   model::ReadEncoderConfig(*file));
          MemoryEstimate e;
          e.model_bytes = static_cast<int64_t>(file->file_size());
          e.context = options.context > 0 ? options.context
                                          : std::min(config.context_length,
                                                     model::kDefaultContextCap);
          return e;
        }
        EDGELLM_ASSIGN_OR_RETURN(model::ModelConfig config,
                                 model::ReadModelConfig(*file));
        MemoryEstimate e;
        e.model_bytes = static_cast<int64_t>(file->file_size());
        // As Engine::Load and Transformer::Create size the KvCache (the
        // same planner): the slabs of every slot (sliding-window layers
        // their window), or the paged cache's pools (--kv-blocks, and the
        // sliding-window layers' pools).
        e.context = options.context > 0 ? options.context
                                        : std::min(config.context_length,
                                                   model::kDefaultContextCap);
        e.slots =
            std::max(options.parallel, 1) + (options.embedding_slot ? 1 : 0);
        model::KvPaging paging;
        paging.block_size = std::min(options.kv_block_size, e.context);
        paging.blocks = options.kv_blocks;
        paging.prefix_cache = options.prefix_cache;
        paging.max_batch = std::max(options.max_batch, options.parallel);
        const model::KvCacheType type =
            options.kv_type == KvCacheType::kF16    ? model::KvCacheType::kF16
            : options.kv_type == KvCacheType::kQ8_0 ? model::KvCacheType::kQ8_0
                                                    : model::KvCacheType::kF32;
        EDGELLM_ASSIGN_OR_RETURN(
            const size_t kv_bytes,
            model::KvCache::PlannedBytes(
                model::KvRowsPerLayer(config, e.context), e.slots, e.context,
                config.kv_dim(), type, paging));
        e.kv_cache_bytes = static_cast<int64_t>(kv_bytes);
        return e;
      });
}

}  // namespace edgellm
