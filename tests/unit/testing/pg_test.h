// Tests against the real PostgreSQL server that scripts/test.sh starts (EP_TEST_PG_URL).
// PgTestSchema makes a fresh schema for the running test and drops it afterwards; url() is a
// connection URL whose search_path is that schema, so tests never see each other's tables.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/ids.h"
#include "common/postgres_db.h"

namespace ecompipe::testing_util {

// The test server's URL, or "" when none is configured.
inline std::string PgTestUrl() {
  const char* url = std::getenv("EP_TEST_PG_URL");
  return url ? url : "";
}

// Skips the test (with the reason) when no test server is configured.
#define EP_REQUIRE_TEST_PG()                                                                   \
  do {                                                                                         \
    if (::ecompipe::testing_util::PgTestUrl().empty())                                         \
      GTEST_SKIP() << "EP_TEST_PG_URL is not set (scripts/test.sh starts a PostgreSQL server " \
                      "with scripts/pg-test-server.sh and sets it)";                           \
  } while (0)

// `url` with `key=value` added to its query string.
inline std::string PgUrlWith(const std::string& url, const std::string& key_value) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + key_value;
}

class PgTestSchema {
 public:
  PgTestSchema() : name_("ep_test_" + NewHex(8)) {
    auto db = PostgresDb::Connect(PgTestUrl());
    if (!db.ok()) {
      ADD_FAILURE() << db.status().ToString();
      return;
    }
    admin_ = std::move(db).value();
    Status s = admin_->Exec("CREATE SCHEMA " + name_);
    if (!s.ok()) ADD_FAILURE() << s.ToString();
  }
  ~PgTestSchema() {
    if (admin_ && admin_->Healthy())
      (void)admin_->Exec("DROP SCHEMA IF EXISTS " + name_ + " CASCADE");
  }
  PgTestSchema(const PgTestSchema&) = delete;
  PgTestSchema& operator=(const PgTestSchema&) = delete;

  const std::string& name() const { return name_; }
  // A URL whose connections use this schema first (options=-csearch_path=<schema>).
  std::string url() const { return PgUrlWith(PgTestUrl(), "options=-csearch_path%3D" + name_); }
  // A connection of its own, outside the test's code under test.
  PostgresDb& admin() { return *admin_; }

 private:
  std::string name_;
  std::unique_ptr<PostgresDb> admin_;
};

// Ends the server process of the session `pid` (pg_terminate_backend, as a restart does to every
// session) and waits until it has exited, so that its socket is closed: the test server runs on
// this machine, so /proc shows the process until then.
inline void TerminateBackend(PostgresDb& admin, const std::string& pid) {
  auto r = admin.Query("SELECT pg_terminate_backend($1)", {pid});
  if (!r.ok()) {
    ADD_FAILURE() << r.status().ToString();
    return;
  }
  for (int i = 0; i < 1000 && std::filesystem::exists("/proc/" + pid); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (std::filesystem::exists("/proc/" + pid))
    ADD_FAILURE() << "backend " << pid << " did not exit";
}

}  // namespace ecompipe::testing_util
