#include "tests/testing/shared_dir.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace edgellm::testing {
namespace {

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string RealPath(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return "";
  return buf;
}

bool UnderCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::string FindSharedDir() {
  if (const char* env = std::getenv("EDGELLM_SHARED"); env && *env) {
    return IsDir(env) ? RealPath(env) : "";
  }
  // Runfiles hold a symlink to the source WORKSPACE file; its real path is in
  // the checkout, and shared/ sits beside the checkout.
  for (const char* var : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    const char* root = std::getenv(var);
    if (root == nullptr) continue;
    std::string workspace = RealPath(std::string(root) + "/edgellm/WORKSPACE");
    if (workspace.empty()) continue;
    std::string repo = workspace.substr(0, workspace.rfind('/'));
    std::string shared = repo.substr(0, repo.rfind('/')) + "/shared";
    if (IsDir(shared)) return shared;
  }
  return "";
}

}  // namespace

std::string SharedDirOrEmpty() {
  std::string dir = FindSharedDir();
  if (dir.empty() && UnderCi()) {
    ADD_FAILURE() << "CI=true: ../shared (reference data) not found beside "
                     "the repository and EDGELLM_SHARED does not name a folder";
  }
  return dir;
}

std::string SharedFileOrEmpty(const std::string& relative_path) {
  std::string dir = SharedDirOrEmpty();
  if (dir.empty()) return "";
  std::string path = dir + "/" + relative_path;
  return IsFile(path) ? path : "";
}

}  // namespace edgellm::testing
