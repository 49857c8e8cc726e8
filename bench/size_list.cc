#include "bench/size_list.h"

#include <cstdlib>

namespace edgellm::bench {

std::vector<size_t> ParseSizes(const char* list) {
  std::vector<size_t> out;
  for (const char* p = list; *p != '\0';) {
    char* end = nullptr;
    const long v = std::strtol(p, &end, 10);
    if (end == p || v <= 0 || (*end != ',' && *end != '\0')) return {};
    out.push_back(static_cast<size_t>(v));
    p = *end == ',' ? end + 1 : end;
  }
  return out;
}

}  // namespace edgellm::bench
