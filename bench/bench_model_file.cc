#include "bench/bench_model_file.h"

#include <unistd.h>

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "quant/recipe.h"
#include "runtime/model/random_model.h"

namespace edgellm::bench {

absl::StatusOr<std::string> WriteShapeModel(const ShapeModel& model) {
  absl::StatusOr<model::RandomModelSpec> spec =
      model::NamedRandomModelSpec(model.shape);
  if (!spec.ok()) return spec.status();
  if (!model.type.empty()) {
    absl::StatusOr<quant::FileType> type = quant::ParseFileType(model.type);
    if (!type.ok()) return type.status();
    spec->file_type = *type;
  }
  const char* tmp = std::getenv("TMPDIR");
  std::string path = absl::StrCat(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp",
                                  "/", model.bench, "_", model.shape);
  if (!model.type.empty()) absl::StrAppend(&path, "-", model.type);
  if (model.per_process) absl::StrAppend(&path, "-", getpid());
  absl::StrAppend(&path, ".gguf");
  if (absl::Status s = model::WriteRandomModel(*spec, path, false); !s.ok()) {
    return s;
  }
  return path;
}

absl::StatusOr<std::string> ModelFileFor(const std::string& model_path,
                                         const std::string& bench,
                                         const std::string& shape) {
  if (!model_path.empty()) return model_path;
  return WriteShapeModel({.bench = bench, .shape = shape});
}

std::vector<int32_t> Tokens(int n, int seed, int vocab) {
  std::vector<int32_t> ids(n);
  for (int i = 0; i < n; ++i) {
    ids[i] = 300 + static_cast<int32_t>(
                       (uint64_t(i) * 7919 + uint64_t(seed) * 104729) %
                       uint64_t(vocab - 300));
  }
  return ids;
}

}  // namespace edgellm::bench
