#include "api/s3/s3_bucket.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/aws_sigv4.h"
#include "common/digest.h"
#include "common/time_util.h"
#include "testing/temp_dir.h"

namespace ecompipe::api::s3 {
namespace {

namespace fs = std::filesystem;

S3Bucket::Producer Bytes(const std::string& data) {
  return [data](const storage::LocalFolderStore::ChunkSink& sink) {
    return sink(data.data(), data.size());
  };
}

class S3BucketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(storage::LocalFolderStore::Open(dir_.path() / "bucket", "raw").value());
    bucket_ = std::move(S3Bucket::Open(*store_).value());
  }
  std::vector<std::string> Uploads() const {
    std::vector<std::string> out;
    for (const auto& e :
         fs::directory_iterator(dir_.path() / "bucket" / ".ecompipe-tmp" / "s3-uploads"))
      out.push_back(e.path().filename().string());
    return out;
  }
  testing_util::TempDir dir_;
  std::unique_ptr<storage::LocalFolderStore> store_;
  std::unique_ptr<S3Bucket> bucket_;
};

TEST_F(S3BucketTest, PutKeepsMetadataAndMd5Etag) {
  ObjectMeta meta;
  meta.content_type = "text/csv";
  meta.user["mtime"] = "1700000000";
  auto info = bucket_->Put("a/b.csv", Bytes("hello"), meta);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->s3_etag, "5d41402abc4b2a76b9719d911017c592");
  auto head = bucket_->Head("a/b.csv");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->meta.content_type, "text/csv");
  EXPECT_EQ(head->meta.user.at("mtime"), "1700000000");
  // A file replaced by other means loses the side data that no longer describes it.
  std::ofstream(dir_.path() / "bucket" / "a" / "b.csv") << "other";
  head = bucket_->Head("a/b.csv");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->s3_etag, Md5Hex("other"));
  EXPECT_TRUE(head->meta.content_type.empty());
}

TEST_F(S3BucketTest, FailedProducerLeavesNothing) {
  auto info = bucket_->Put("a/c.csv",
                           [](const storage::LocalFolderStore::ChunkSink& sink) {
                             EXPECT_TRUE(sink("partial", 7).ok());
                             return Status::InvalidArgument("client went away");
                           },
                           {});
  ASSERT_FALSE(info.ok());
  EXPECT_FALSE(fs::exists(dir_.path() / "bucket" / "a" / "c.csv"));
  for (const auto& e : fs::directory_iterator(dir_.path() / "bucket" / ".ecompipe-tmp"))
    EXPECT_TRUE(fs::is_directory(e.path())) << e.path();  // only s3-meta and s3-uploads
}

TEST_F(S3BucketTest, HostileKeysAreRefused) {
  for (const char* key :
       {"../x", "a/../../x", "/abs", "a//b", "a/", ".ecompipe-tmp/x", "a/.hidden", ""}) {
    auto info = bucket_->Put(key, Bytes("x"), {});
    ASSERT_FALSE(info.ok()) << key;
    EXPECT_EQ(info.error().http_status, 400) << key;
    EXPECT_FALSE(bucket_->Head(key).ok()) << key;
  }
  EXPECT_FALSE(fs::exists(dir_.path() / "x"));
}

// Regression (issue 14): a 300-byte key segment was a 500 whose message held the server's
// absolute path (the file system's ENAMETOOLONG); a key with a line feed was an empty 404.
TEST_F(S3BucketTest, OverLongSegmentsAndControlCharactersAreTheClientsError) {
  const std::string long_key = "transactions/" + std::string(300, 'a') + ".csv";
  auto put = bucket_->Put(long_key, Bytes("x"), {});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().http_status, 400);
  EXPECT_EQ(put.error().code, "KeyTooLongError");
  EXPECT_EQ(put.error().message.find(dir_.path().string()), std::string::npos);
  EXPECT_EQ(bucket_->Head(long_key).error().code, "KeyTooLongError");
  EXPECT_EQ(bucket_->Delete(long_key)->code, "KeyTooLongError");
  EXPECT_TRUE(bucket_->Put("transactions/" + std::string(255, 'a'), Bytes("x"), {}).ok());
  for (const std::string key : {"a\nb.csv", "a\rb", "a\x01b"}) {
    EXPECT_EQ(bucket_->Head(key).error().http_status, 400) << key;
    EXPECT_EQ(bucket_->OpenForRead(key).error().code, "InvalidArgument") << key;
  }
  // A well-formed key the folder cannot hold names no object.
  EXPECT_EQ(bucket_->Head("a/.hidden.part").error().http_status, 404);
}

TEST(S3BucketErrorTest, AServerErrorNamesNoServerPath) {
  S3Error e = FromStatus(Status::IoError("cannot open /srv/secret/bucket/x: No space left"));
  EXPECT_EQ(e.http_status, 500);
  EXPECT_EQ(e.code, "InternalError");
  EXPECT_EQ(e.message.find("/srv"), std::string::npos);
}

// Regression (issue 14): abandoned multipart uploads were never cleaned. They expire a chosen
// age after they started, with their parts; the clock is the caller's, so no test waits days.
TEST_F(S3BucketTest, AbandonedUploadsExpireAfterTheirAge) {
  constexpr int64_t kWeek = 7 * 24 * 3'600'000LL;
  auto old_upload = bucket_->CreateUpload("big/x.bin", {});
  ASSERT_TRUE(old_upload.ok());
  ASSERT_TRUE(bucket_->PutPart(*old_upload, "big/x.bin", 1, Bytes("part")).ok());
  const int64_t started = NowMillis();
  EXPECT_EQ(*bucket_->ExpireUploads(started + kWeek - 60'000, kWeek), 0);
  EXPECT_EQ(Uploads().size(), 1u);
  EXPECT_EQ(*bucket_->ExpireUploads(started + kWeek + 60'000, kWeek), 1);
  EXPECT_TRUE(Uploads().empty());
  EXPECT_EQ(bucket_->PutPart(*old_upload, "big/x.bin", 2, Bytes("late")).error().code,
            "NoSuchUpload");
  // A fresh upload is kept; nothing else in the folder is touched.
  auto fresh = bucket_->CreateUpload("big/y.bin", {});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*bucket_->ExpireUploads(NowMillis(), kWeek), 0);
  EXPECT_EQ(Uploads(), std::vector<std::string>{*fresh});
}

TEST_F(S3BucketTest, MultipartAssemblesInOrderWithS3Etag) {
  auto id = bucket_->CreateUpload("big/x.bin", {});
  ASSERT_TRUE(id.ok());
  const std::string a(kMinPartSize, 'a'), b = "tail";
  auto e2 = bucket_->PutPart(*id, "big/x.bin", 2, Bytes(b));
  auto e1 = bucket_->PutPart(*id, "big/x.bin", 1, Bytes("wrong"));
  e1 = bucket_->PutPart(*id, "big/x.bin", 1, Bytes(a));  // replaces the first attempt
  ASSERT_TRUE(e1.ok() && e2.ok());
  EXPECT_EQ(*e1, Md5Hex(a));
  EXPECT_FALSE(fs::exists(dir_.path() / "bucket" / "big" / "x.bin"));  // not before Complete
  auto wrong_key = bucket_->Complete(*id, "big/other.bin", {{1, *e1}, {2, *e2}});
  ASSERT_FALSE(wrong_key.ok());
  EXPECT_EQ(wrong_key.error().code, "NoSuchUpload");
  auto info = bucket_->Complete(*id, "big/x.bin", {{1, *e1}, {2, *e2}});
  ASSERT_TRUE(info.ok()) << info.error().message;
  std::string raw;
  for (const std::string& hex : {*e1, *e2})
    for (size_t i = 0; i < hex.size(); i += 2)
      raw += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  EXPECT_EQ(info->s3_etag, Md5Hex(raw) + "-2");
  // The store, and so the pipeline, knows the object by the ETag clients were given.
  EXPECT_EQ(info->ref.etag, info->s3_etag);
  EXPECT_EQ(bucket_->Head("big/x.bin")->s3_etag, info->s3_etag);
  EXPECT_EQ(bucket_->store().Head("big/x.bin")->etag, info->s3_etag);
  auto listed = bucket_->List("big/");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].s3_etag, info->s3_etag);
  EXPECT_TRUE(Uploads().empty());
  auto again = bucket_->Complete(*id, "big/x.bin", {{1, *e1}, {2, *e2}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "NoSuchUpload");
}

TEST_F(S3BucketTest, MultipartRulesAndAbort) {
  auto id = bucket_->CreateUpload("m.bin", {});
  ASSERT_TRUE(id.ok());
  auto p1 = bucket_->PutPart(*id, "m.bin", 1, Bytes("small"));
  auto p2 = bucket_->PutPart(*id, "m.bin", 2, Bytes("tail"));
  EXPECT_EQ(bucket_->Complete(*id, "m.bin", {{1, *p1}, {2, *p2}}).error().code, "EntityTooSmall");
  EXPECT_EQ(bucket_->Complete(*id, "m.bin", {{2, *p2}, {1, *p1}}).error().code, "InvalidPartOrder");
  EXPECT_EQ(bucket_->Complete(*id, "m.bin", {{1, *p2}}).error().code, "InvalidPart");
  EXPECT_EQ(bucket_->Complete(*id, "m.bin", {{3, "../../../etc"}}).error().code, "InvalidPart");
  EXPECT_EQ(bucket_->PutPart(*id, "m.bin", 0, Bytes("x")).error().code, "InvalidArgument");
  EXPECT_EQ(bucket_->PutPart(*id, "m.bin", 10001, Bytes("x")).error().code, "InvalidArgument");
  EXPECT_EQ(bucket_->PutPart("../../x", "m.bin", 1, Bytes("x")).error().code, "NoSuchUpload");
  EXPECT_FALSE(bucket_->Abort(*id, "m.bin"));
  EXPECT_TRUE(Uploads().empty());
  EXPECT_FALSE(fs::exists(dir_.path() / "bucket" / "m.bin"));
  EXPECT_EQ(bucket_->PutPart(*id, "m.bin", 1, Bytes("x")).error().code, "NoSuchUpload");
}

TEST_F(S3BucketTest, DeleteRemovesObjectAndSideData) {
  ASSERT_TRUE(bucket_->Put("d/x", Bytes("1"), {}).ok());
  EXPECT_FALSE(bucket_->Delete("d/x"));
  EXPECT_FALSE(fs::exists(dir_.path() / "bucket" / "d" / "x"));
  EXPECT_EQ(bucket_->Delete("d/x")->code, "NoSuchKey");
  EXPECT_EQ(bucket_->Delete("d")->code, "NoSuchKey");  // a folder is not an object
  auto listed = bucket_->List("");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace ecompipe::api::s3
