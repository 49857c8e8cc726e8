// Counts heap allocations in a test binary, so a test can show that a hot
// path (sampling, the decode loop) does not allocate, or that a parser of
// untrusted files never allocates more than the input can justify.
//
// Linking //tests/testing:allocation_counter replaces the global operator
// new/delete (all forms, so AddressSanitizer still sees malloc/free pairs).
#ifndef EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_
#define EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_

#include <cstddef>

namespace edgellm::testing {

// operator new calls since the program started.
long AllocationCount();

// The largest single operator new request (bytes) since the last
// ResetLargestAllocation (or the program's start).
size_t LargestAllocation();
void ResetLargestAllocation();

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_
