#include "tests/testing/reference_models.h"

#include <openssl/evp.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "quant/convert/convert.h"
#include "quant/convert/tensor_output.h"

namespace edgellm::testing {

absl::StatusOr<std::string> Sha256OfFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx);
    return absl::InternalError("EVP sha256 init failed");
  }
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", digest[i]);
    hex += b;
  }
  return hex;
}

absl::StatusOr<std::string> RebuildReferenceModel(const std::string& shared,
                                                  const std::string& file,
                                                  const std::string& out_dir) {
  const size_t dash = file.rfind('-');
  const size_t dot = file.rfind(".gguf");
  if (dash == std::string::npos || dot == std::string::npos || dot < dash) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a <model>-<type>.gguf name: ", file));
  }
  quant::ConvertOptions options;
  options.input = absl::StrCat(shared, "/reference/models/",
                               file.substr(0, dash), "-f32.gguf");
  absl::StatusOr<quant::OutputType> type =
      quant::ParseOutputType(file.substr(dash + 1, dot - dash - 1));
  if (!type.ok()) return type.status();
  options.type = *type;
  const std::string out = absl::StrCat(out_dir, "/", file);
  absl::StatusOr<quant::ConvertResult> r = quant::ConvertModel(options, out);
  if (!r.ok()) return r.status();
  return out;
}

}  // namespace edgellm::testing
