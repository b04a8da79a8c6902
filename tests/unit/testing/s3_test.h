// Tests against a real S3 API server (moto_server) that a test driver starts and names in the
// environment: tests/e2e/test_s3_redshift_staging.py runs the unit tests that need one with
//   EP_TEST_S3_ENDPOINT  http://127.0.0.1:<port>
//   EP_TEST_S3_BUCKET    an empty bucket the tests may write to
//   EP_TEST_S3_KEY_ID, EP_TEST_S3_SECRET   an IAM user's key (moto checks every signature)
// Without EP_TEST_S3_ENDPOINT such tests skip, naming the driver.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "storage/s3/s3_object_store.h"

namespace ecompipe::testing_util {

inline std::string EnvOr(const char* name, const char* fallback = "") {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

#define EP_REQUIRE_TEST_S3()                                                               \
  do {                                                                                     \
    if (::ecompipe::testing_util::EnvOr("EP_TEST_S3_ENDPOINT").empty())                    \
      GTEST_SKIP()                                                                         \
          << "EP_TEST_S3_ENDPOINT is not set (tests/e2e/test_s3_redshift_staging.py runs " \
             "these tests against a moto_server it starts)";                               \
  } while (0)

// Path-style settings for the test bucket, signed with the test user's key.
inline storage::s3::S3Settings S3TestSettings() {
  storage::s3::S3Settings s;
  s.endpoint = EnvOr("EP_TEST_S3_ENDPOINT");
  s.bucket = EnvOr("EP_TEST_S3_BUCKET", "ecompipe-staging-test");
  s.region = "us-east-1";
  s.addressing = storage::s3::Addressing::kPath;
  s.credentials.access_key_id = EnvOr("EP_TEST_S3_KEY_ID");
  s.credentials.secret_access_key = EnvOr("EP_TEST_S3_SECRET");
  s.max_attempts = 2;
  return s;
}

}  // namespace ecompipe::testing_util
