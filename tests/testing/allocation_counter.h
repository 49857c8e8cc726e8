// Counts heap allocations in a test binary, so a test can show that a hot
// path (sampling, the decode loop) does not allocate.
//
// Linking //tests/testing:allocation_counter replaces the global operator
// new/delete (all forms, so AddressSanitizer still sees malloc/free pairs).
#ifndef EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_
#define EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_

namespace edgellm::testing {

// operator new calls since the program started.
long AllocationCount();

}  // namespace edgellm::testing

#endif  // EDGELLM_TESTS_TESTING_ALLOCATION_COUNTER_H_
