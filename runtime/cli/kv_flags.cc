#include "runtime/cli/kv_flags.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace edgellm::cli {

std::vector<FlagSpec> KvPagingFlagSpecs() {
  return {
      {"kv-block-size", FlagKind::kInt, absl::StrCat(kDefaultKvBlockSize),
       "KV cache positions per block of the paged cache (one pool shared by "
       "all requests, prefix caching); 0 = one full-context slab per slot"},
      {"kv-blocks", FlagKind::kInt, "0",
       "paged KV cache: blocks in the pool of the full-context layers "
       "(0 = what the slabs would hold)"},
      {"no-prefix-cache", FlagKind::kBool, "false",
       "paged KV cache: never reuse the KV blocks of a cached prompt prefix"},
  };
}

std::vector<FlagSpec> WithKvPagingFlags(std::vector<FlagSpec> flags) {
  auto at = flags.begin();
  while (at != flags.end() && at->name != "kv-type") ++at;
  if (at != flags.end()) ++at;
  const std::vector<FlagSpec> kv = KvPagingFlagSpecs();
  flags.insert(at, kv.begin(), kv.end());
  return flags;
}

absl::Status ReadKvPagingFlags(const ParsedArgs& args, KvPagingFlags* out) {
  const int64_t block_size = args.GetInt("kv-block-size");
  const int64_t blocks = args.GetInt("kv-blocks");
  if (block_size < 0 || block_size > (1 << 20)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--kv-block-size: ", block_size, " must be in 0..1048576"));
  }
  if (blocks < 0 || blocks > (int64_t{1} << 30)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--kv-blocks: ", blocks, " must be in 0..2^30"));
  }
  out->block_size = static_cast<int32_t>(block_size);
  out->blocks = static_cast<int32_t>(blocks);
  out->prefix_cache = !args.GetBool("no-prefix-cache");
  return absl::OkStatus();
}

}  // namespace edgellm::cli
