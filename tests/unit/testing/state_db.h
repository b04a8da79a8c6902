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

#include "common/ids.h"
#include "common/sql_db.h"
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
  const char* url = std::getenv("EP_TEST_PG_URL");
  if (url && *url) return url;
  ADD_FAILURE() << "EP_TEST_PG_URL is not set: run scripts/test.sh, or start a server with "
                   "scripts/pg-test-server.sh start and export the URL it prints";
  return "";
}

class StateDb {
 public:
  explicit StateDb(std::string backend) : backend_(std::move(backend)) {
    if (backend_ != "postgres") return;
    admin_url_ = TestPostgresUrl();
    if (admin_url_.empty()) return;
    schema_ = "ep_test_" + NewHex(6);
    Result<std::unique_ptr<SqlDb>> admin = OpenSqlDb(admin_url_);
    EXPECT_TRUE(admin.ok()) << admin.status().ToString();
    if (!admin.ok()) return;
    Status s = (*admin)->ExecScript("CREATE SCHEMA " + schema_);
    EXPECT_TRUE(s.ok()) << s.ToString();
    url_ = admin_url_ + (admin_url_.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + schema_;
  }
  ~StateDb() {
    if (schema_.empty()) return;
    Result<std::unique_ptr<SqlDb>> admin = OpenSqlDb(admin_url_);
    if (admin.ok()) (void)(*admin)->ExecScript("DROP SCHEMA " + schema_ + " CASCADE");
  }
  StateDb(const StateDb&) = delete;
  StateDb& operator=(const StateDb&) = delete;

  bool postgres() const { return backend_ == "postgres"; }
  // A file of the test's folder; a name ending in ".db" is where the state store lives instead:
  // that file (SQLite) or the test's schema (PostgreSQL).
  std::string File(const std::string& name) const {
    return postgres() && name.ends_with(".db") ? url_ : dir_.File(name);
  }
  std::string location() const { return File("state.db"); }
  const std::filesystem::path& path() const { return dir_.path(); }

 private:
  std::string backend_;
  TempDir dir_;
  std::string admin_url_, schema_, url_;
};

}  // namespace ecompipe::testing_util
