// The model file a benchmark runs on when it is given a make-model shape
// (--shape NAME) instead of a file: that shape's random-weight model,
// written to $TMPDIR (else /tmp) under a name of the benchmark's, so the
// speed measured is the shape's; and prompt token ids any shape takes.
#ifndef EDGELLM_BENCH_BENCH_MODEL_FILE_H_
#define EDGELLM_BENCH_BENCH_MODEL_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace edgellm::bench {

struct ShapeModel {
  std::string bench;  // the benchmark's name: the file name's start
  std::string shape;  // a make-model shape (model::NamedRandomModelSpec)
  std::string type;   // a file type ("q8_0", "f32", ...); "" = the shape's
  // The process id in the name too, so that runs at the same time do not
  // overwrite each other's file (the caller removes it when done).
  bool per_process = false;
};

// Writes the model and returns its path:
// $TMPDIR/<bench>_<shape>[-<type>][-<pid>].gguf.
absl::StatusOr<std::string> WriteShapeModel(const ShapeModel& model);

// `model_path` when it is not empty (a --model FILE), else
// WriteShapeModel({bench, shape}).
absl::StatusOr<std::string> ModelFileFor(const std::string& model_path,
                                         const std::string& bench,
                                         const std::string& shape);

// `n` prompt token ids that are ordinary vocabulary entries of any shape
// (past the byte-fallback ids, below `vocab`), different for every `seed`.
std::vector<int32_t> Tokens(int n, int seed, int vocab);

}  // namespace edgellm::bench

#endif  // EDGELLM_BENCH_BENCH_MODEL_FILE_H_
