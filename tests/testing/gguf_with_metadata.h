// Writes a copy of a GGUF file with string metadata added or replaced, e.g.
// a test model that carries a chat template (tokenizer.chat_template):
//
//   ASSERT_TRUE(CopyGgufWithStrings(in, out,
//       {{"tokenizer.chat_template", source}}).ok());
//
// And rewrites an array in a GGUF image, for tests of hostile counts.
#ifndef EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_
#define EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace edgellm::testing {

// Every metadata entry and tensor of `in`, then `strings` (key, value)
// replacing entries of the same key, written to `out`.
absl::Status CopyGgufWithStrings(
    const std::string& in, const std::string& out,
    const std::vector<std::pair<std::string, std::string>>& strings);

// Turns the int32 array `key` of a GGUF image that GgufWriter wrote (its
// bytes, in memory) into a uint8 array of four times as many entries over
// the same bytes: a list of more than 2^24 entries in 16 MB, where 2^24
// strings would take hundreds. NOT_FOUND when the image has no int32 array
// of that key.
absl::Status WidenInt32ArrayToBytes(std::string& image, std::string_view key);

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_
