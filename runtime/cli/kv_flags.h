// The paged KV cache's flags, shared by serve, generate and bench so that
// they mean the same everywhere: --kv-block-size (positions per block; 0 =
// one full-context slab per slot), --kv-blocks (the pool) and
// --no-prefix-cache.
#ifndef EDGELLM_RUNTIME_CLI_KV_FLAGS_H_
#define EDGELLM_RUNTIME_CLI_KV_FLAGS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "runtime/cli/command.h"

namespace edgellm::cli {

// The default block size: the paged cache is the default, as fast as the
// slab (docs/performance.md) and shared by prefixes.
inline constexpr int32_t kDefaultKvBlockSize = 16;

struct KvPagingFlags {
  int32_t block_size = kDefaultKvBlockSize;
  int32_t blocks = 0;
  bool prefix_cache = true;
};

// The help text of --kv-type (f32, f16, q8_0; runtime/model/kv_type.h),
// the same on every command that has it.
inline constexpr char kKvTypeFlagHelp[] =
    "KV cache type: f32, f16 or q8_0 (Q8_0 blocks of 32 int8 values and an "
    "fp16 scale, 53% of f16's bytes; needs n_kv_heads x head_dim a multiple "
    "of 32)";

// The three flags' table entries.
std::vector<FlagSpec> KvPagingFlagSpecs();
// `flags` with them inserted after --kv-type (appended when it has none).
std::vector<FlagSpec> WithKvPagingFlags(std::vector<FlagSpec> flags);

// Reads them; INVALID_ARGUMENT naming the flag for a negative value.
absl::Status ReadKvPagingFlags(const ParsedArgs& args, KvPagingFlags* out);

}  // namespace edgellm::cli

#endif  // EDGELLM_RUNTIME_CLI_KV_FLAGS_H_
