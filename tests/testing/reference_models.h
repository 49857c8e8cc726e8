// Rebuilding the quantized reference models that shared/reference does not
// store (Q5_K_M, Q6_K): edgellm's quantizer writes llama-quantize's file
// byte for byte from the stored F32 file, so a rebuilt file whose sha256
// equals models.json's is the file the references were made from.
// Test-only.
#ifndef EDGELLM_TESTS_TESTING_REFERENCE_MODELS_H_
#define EDGELLM_TESTS_TESTING_REFERENCE_MODELS_H_

#include <string>

#include "absl/status/statusor.h"

namespace edgellm::testing {

// Lower-case hex SHA-256 of a file's bytes.
absl::StatusOr<std::string> Sha256OfFile(const std::string& path);

// Quantizes shared/reference/models/<stem>-f32.gguf to the file type named
// by `file` ("llama32-tiny-q6_k.gguf" -> q6_k) into `out_dir`/`file`, and
// returns that path. The caller compares its sha256 with models.json's.
absl::StatusOr<std::string> RebuildReferenceModel(const std::string& shared,
                                                  const std::string& file,
                                                  const std::string& out_dir);

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_REFERENCE_MODELS_H_
