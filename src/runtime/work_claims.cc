#include "runtime/work_claims.h"

#include "common/time_util.h"

namespace ecompipe::runtime {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS object_claims (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  etag TEXT NOT NULL,
  job TEXT NOT NULL,
  claimed_by TEXT NOT NULL,
  lease_until BIGINT NOT NULL,
  claimed_at TEXT NOT NULL,
  PRIMARY KEY(bucket, key, etag)
);
CREATE INDEX IF NOT EXISTS object_claims_lease ON object_claims(lease_until);
)sql";

}  // namespace

Result<std::unique_ptr<WorkClaims>> WorkClaims::Open(const std::string& location,
                                                     WorkerLease lease) {
  EP_ASSIGN_OR_RETURN(auto db, OpenSqlDb(location));
  EP_RETURN_IF_ERROR(db->Transaction([&] { return db->ExecScript(kSchema); }));
  return std::unique_ptr<WorkClaims>(new WorkClaims(std::move(db), std::move(lease)));
}

Result<bool> WorkClaims::TryClaim(const std::string& job, const storage::ObjectRef& object) {
  const int64_t now = NowMillis();
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(
          "INSERT INTO object_claims(bucket, key, etag, job, claimed_by, lease_until, claimed_at) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(bucket, key, etag) DO UPDATE SET "
          "job = excluded.job, claimed_by = excluded.claimed_by, lease_until = "
          "excluded.lease_until, "
          "claimed_at = excluded.claimed_at "
          "WHERE object_claims.lease_until <= ?8 OR object_claims.claimed_by = ?5 RETURNING "
          "claimed_by",
          {object.bucket, object.key, object.etag, job, lease_.worker_id, now + lease_.lease_ms,
           FormatIsoMillis(now), now}));
  return !rows.empty();
}

Status WorkClaims::Release(const storage::ObjectRef& object) {
  return db_
      ->Exec(
          "DELETE FROM object_claims WHERE bucket = ? AND key = ? AND etag = ? AND claimed_by = ?",
          {object.bucket, object.key, object.etag, lease_.worker_id})
      .status();
}

Result<std::vector<std::string>> WorkClaims::AbandonedJobs() {
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query("SELECT DISTINCT job FROM object_claims WHERE lease_until <= ? ORDER BY job",
                 {NowMillis()}));
  std::vector<std::string> out;
  for (size_t r = 0; r < rows.size(); ++r) out.push_back(rows.Text(r, 0));
  return out;
}

Status WorkClaims::DropAbandoned(const std::string& job) {
  return db_
      ->Exec("DELETE FROM object_claims WHERE job = ? AND lease_until <= ?", {job, NowMillis()})
      .status();
}

Status WorkClaims::ReleaseAll() {
  return db_->Transaction([&]() -> Status {
    EP_RETURN_IF_ERROR(db_->Exec("DELETE FROM object_claims").status());
    EP_RETURN_IF_ERROR(db_->Exec("UPDATE deliveries SET claimed_by = NULL, lease_until = NULL "
                                 "WHERE claimed_by IS NOT NULL")
                           .status());
    return db_
        ->Exec(
            "UPDATE notifications SET claimed_by = NULL, lease_until = NULL "
            "WHERE claimed_by IS NOT NULL")
        .status();
  });
}

Result<std::string> WorkClaims::Holder(const storage::ObjectRef& object) {
  EP_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query("SELECT claimed_by FROM object_claims WHERE bucket = ? AND key = ? AND etag = ? "
                 "AND lease_until > ?",
                 {object.bucket, object.key, object.etag, NowMillis()}));
  return rows.empty() ? std::string() : rows.Text(0, 0);
}

}  // namespace ecompipe::runtime
