// Writes a copy of a GGUF file with string metadata added or replaced, e.g.
// a test model that carries a chat template (tokenizer.chat_template):
//
//   ASSERT_TRUE(CopyGgufWithStrings(in, out,
//       {{"tokenizer.chat_template", source}}).ok());
#ifndef EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_
#define EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace edgellm::testing {

// Every metadata entry and tensor of `in`, then `strings` (key, value)
// replacing entries of the same key, written to `out`.
absl::Status CopyGgufWithStrings(
    const std::string& in, const std::string& out,
    const std::vector<std::pair<std::string, std::string>>& strings);

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_GGUF_WITH_METADATA_H_
