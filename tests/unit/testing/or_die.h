// OrDie(result): the value of a Result a test cannot go on without. A failed result fails the
// test with its status and aborts, so the test's own expectations never read a missing value.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

#include "common/status.h"

namespace ecompipe::testing_util {

template <typename T>
T OrDie(Result<T> r) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) std::abort();
  return std::move(*r);
}

}  // namespace ecompipe::testing_util
