// The state-store backends that contract tests run against, one fresh store per test:
//
//   "sqlite"    files in a fresh folder, removed at the end
//   "postgres"  a fresh schema on the server in EP_TEST_PG_URL (scripts/test.sh starts one),
//               dropped at the end; every "file" of the test is that one schema
//
// INSTANTIATE_TEST_SUITE_P(Backends, SomeTest, StateBackends(), StateBackendName) runs each
// TEST_P once per backend. Without EP_TEST_PG_URL the postgres cases fail, saying so: they are
// never skipped in silence.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "common/sql_db.h"
#include "testing/pg_test.h"
#include "testing/temp_dir.h"

namespace ecompipe::testing_util {

inline ::testing::internal::ParamGenerator<std::string> StateBackends() {
  return ::testing::Values(std::string("sqlite"), std::string("postgres"));
}

inline std::string StateBackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// The URL of the test server, or "" (with a test failure saying how to get one).
inline std::string TestPostgresUrl() {
  std::string url = PgTestUrl();
  if (!url.empty()) return url;
  ADD_FAILURE() << "EP_TEST_PG_URL is not set: run scripts/test.sh, or start a server with "
                   "scripts/pg-test-server.sh start and export the URL it prints";
  return "";
}

class StateDb {
 public:
  explicit StateDb(std::string backend) : backend_(std::move(backend)) {
    if (postgres() && !TestPostgresUrl().empty()) schema_ = std::make_unique<PgTestSchema>();
  }
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  bool postgres() const { return backend_ == "postgres"; }
  // A file of the test's folder; a name ending in ".db" is where the state store lives instead:
  // that file (SQLite) or the test's schema (PostgreSQL).
  std::string File(const std::string& name) const {
    if (!postgres() || !name.ends_with(".db")) return dir_.File(name);
    // Without a server (a failure is already recorded) a path in a folder that does not exist:
    // opening it fails, so the test stops at its first ASSERT instead of running on an empty
    // location, which SQLite would take as a private temporary database.
    return schema_ ? schema_->url() : dir_.File("EP_TEST_PG_URL-not-set/" + name);
  }
  std::string location() const { return File("state.db"); }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  std::string backend_;
  TempDir dir_;
  std::unique_ptr<PgTestSchema> schema_;
};

}  // namespace ecompipe::testing_util
