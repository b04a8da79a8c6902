// `storage:` in ecompipe.yaml, as storage/object_store_config.h reads it through the local and
// s3 types' own parsers (the s3 type's event sources included).
#include "storage/object_store_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "storage/local/local_store_config.h"
#include "storage/s3/s3_store_config.h"
#include "testing/parse_config_text.h"

namespace ecompipe::storage {
namespace {

using ::testing::HasSubstr;

struct StorageOnly {
  ObjectStoreConfig storage;
};

// The s3 type reads its event sources through the process's EventSourceFactory, which the
// program fills from runtime's list; here, the three types in that list's order.
Status ParseStorage(const ConfigReader& root, StorageOnly& out) {
  static const ObjectStoreFactory kFactory = [] {
    s3::EventSourceFactory& sources = s3::EventSourceFactory::Instance();
    s3::RegisterSqsEventSource(sources);
    s3::RegisterWebhookEventSource(sources);
    s3::RegisterReconcileEventSource(sources);
    ObjectStoreFactory f;
    RegisterLocalStore(f);
    s3::RegisterS3Store(f);
    return f;
  }();
  return ParseObjectStoreConfig(root.Child("storage"), kFactory, out.storage);
}

StorageOnly ParseOrDie(const std::string& text) {
  return testing_util::ParseConfigOrDie<StorageOnly>(text, ParseStorage);
}
std::string ErrorOf(const std::string& text) {
  return testing_util::ConfigRejection<StorageOnly>(text, ParseStorage);
}

const s3::S3StoreConfig& S3(const StorageOnly& cfg) {
  static const s3::S3StoreConfig kNone;
  const auto* s3 = cfg.storage.As<s3::S3StoreConfig>();
  EXPECT_NE(s3, nullptr);
  return s3 ? *s3 : kNone;
}

TEST(ObjectStoreConfigTest, UnknownKeyInStorage) {
  EXPECT_EQ(ErrorOf("storage:\n  type: local\n  pth: b\n"),
            "ecompipe.yaml:3: unknown key 'storage.pth' (did you mean 'path'?)");
}

TEST(ObjectStoreConfigTest, OnlySupportedTypesAreAccepted) {
  EXPECT_EQ(ErrorOf("storage:\n  type: gcs\n"),
            "ecompipe.yaml:2: 'storage.type': 'gcs' is not supported (allowed: local, s3)");
}

// Regression: `path: ""` made the bucket the config's own folder.
TEST(ObjectStoreConfigTest, AnEmptyPathIsRejected) {
  EXPECT_EQ(ErrorOf("storage:\n  path: \"\"\n"),
            "ecompipe.yaml:2: 'storage.path' must not be empty");
}

TEST(S3StorageConfigTest, ReadsBucketEndpointAndEventSources) {
  StorageOnly cfg = ParseOrDie(R"(
storage:
  type: s3
  bucket: raw-transactions
  endpoint: "http://127.0.0.1:9000"
  region: eu-west-1
  addressing: path
  events:
    - {type: sqs, queue_url: "http://127.0.0.1:9000/123456789012/q", wait_time_seconds: 5, visibility_timeout_seconds: 30}
    - {type: webhook, listen: "0.0.0.0:9100", path: /hook, token_env: TOKEN}
    - {type: reconcile, interval_seconds: 60, page_size: 100}
)");
  EXPECT_EQ(cfg.storage.type, "s3");
  EXPECT_EQ(S3(cfg).server.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(S3(cfg).server.region, "eu-west-1");
  ASSERT_EQ(S3(cfg).events.size(), 3u);
  EXPECT_EQ(std::get<s3::SqsSourceConfig>(S3(cfg).events[0].source).wait_time_seconds, 5);
  EXPECT_EQ(std::get<s3::SqsSourceConfig>(S3(cfg).events[0].source).visibility_timeout_seconds, 30);
  EXPECT_EQ(std::get<s3::WebhookSourceConfig>(S3(cfg).events[1].source).token_env, "TOKEN");
  EXPECT_EQ(std::get<s3::ReconcileSourceConfig>(S3(cfg).events[2].source).interval_seconds, 60);
}

TEST(S3StorageConfigTest, RefusesBadS3Settings) {
  const std::string head = "storage:\n  type: s3\n  bucket: b\n";
  EXPECT_THAT(ErrorOf(head + "  path: bucket\n"), HasSubstr("unknown key 'storage.path'"));
  EXPECT_THAT(ErrorOf("storage:\n  type: s3\n"),
              HasSubstr("missing required key 'storage.bucket'"));
  EXPECT_THAT(ErrorOf(head + "  endpoint: minio:9000\n"), HasSubstr("http://"));
  EXPECT_THAT(ErrorOf(head + "  addressing: dns\n"), HasSubstr("'path' or 'virtual'"));
  EXPECT_THAT(ErrorOf(head + "  access_key_id: AKID\n"), HasSubstr("give both"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: kafka}\n"),
              HasSubstr("allowed: sqs, webhook, reconcile"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs}\n"), HasSubstr("queue_url"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs, queue_url: \"https://q\", "
                             "visibility_timeout_seconds: 1}\n"),
              HasSubstr("visibility_timeout_seconds"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: sqs, queue_url: \"https://q\", "
                             "visibility_timeout_seconds: 43201}\n"),
              HasSubstr("visibility_timeout_seconds"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: webhook, listen: nowhere, token: t}\n"),
              HasSubstr("host:port"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: webhook}\n"), HasSubstr("token_env"));
  EXPECT_THAT(ErrorOf(head + "  events:\n    - {type: reconcile}\n    - {type: reconcile}\n"),
              HasSubstr("a second event source"));
  EXPECT_THAT(ErrorOf("storage:\n  type: gcs\n"), HasSubstr("allowed: local, s3"));
}

}  // namespace
}  // namespace ecompipe::storage
