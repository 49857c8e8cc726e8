// Finds ../shared (reference models, goldens, tokenizer suites) for tests.
//
// Order: $EDGELLM_SHARED; else the folder `shared` beside the workspace root
// (found by resolving the WORKSPACE runfile to its real path). Tests that need
// it depend on "//tests/testing:shared_dir" (which carries the WORKSPACE
// runfile) and skip with a clear message when it is absent:
//
//   const std::string shared = edgellm::testing::SharedDirOrEmpty();
//   if (shared.empty()) GTEST_SKIP() << edgellm::testing::kNoSharedMessage;
//
// Under CI=true (set by .ci/run, passed to tests by .bazelrc) a missing
// folder is a broken CI setup, not a reason to skip: both functions then
// record a gtest failure before returning "", so the test that asked fails
// even though it goes on to skip.
#ifndef EDGELLM_TESTS_TESTING_SHARED_DIR_H_
#define EDGELLM_TESTS_TESTING_SHARED_DIR_H_

#include <string>

namespace edgellm::testing {

// Covers both lookups: a set EDGELLM_SHARED that names no folder is final
// (../shared is then not consulted, FindSharedDir), so say which applies.
inline constexpr char kNoSharedMessage[] =
    "reference data not found (EDGELLM_SHARED, when set, names no folder; "
    "when unset, there is no ../shared beside the repository); skipping.";

// The shared folder's absolute path, or "" if it cannot be found (a test
// failure under CI=true).
std::string SharedDirOrEmpty();

// A file under the shared folder, or "" if the folder or file is absent (a
// missing folder is a test failure under CI=true).
std::string SharedFileOrEmpty(const std::string& relative_path);

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_SHARED_DIR_H_
