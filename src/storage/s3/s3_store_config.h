// storage: {type: s3}: the bucket on an S3-compatible server, and the event sources that tell
// the pipeline of new objects (docs/configuration.md, "S3 buckets").
//
// Each event source is a typed struct in S3EventSourceConfig::source; the types (sqs, webhook,
// reconcile) are registered in an EventSourceFactory, which parses an item of `events:` and
// starts the source when `ecompipe serve` runs.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "common/component_factory.h"
#include "common/config_reader.h"
#include "common/status.h"
#include "storage/event_source.h"
#include "storage/object_store_config.h"
#include "storage/s3/s3_object_store.h"

namespace ecompipe::storage::s3 {

// Where an S3-compatible server is and how to sign for it. Credentials may come from the
// environment, so they are not required.
struct S3ServerConfig {
  std::string endpoint;  // empty: https://s3.<region>.amazonaws.com
  std::string region = "us-east-1";
  std::string addressing;         // path | virtual; empty: virtual on AWS, path elsewhere
  std::string access_key_id;      // empty: AWS_ACCESS_KEY_ID (and AWS_SECRET_ACCESS_KEY,
  std::string secret_access_key;  //        AWS_SESSION_TOKEN) from the environment

  // The client's settings for `bucket`; credentials from the environment when none are set.
  S3Settings Settings(const std::string& bucket) const;
};

// Long-polls an SQS queue that receives the bucket's event notifications.
struct SqsSourceConfig {
  std::string queue_url;
  std::string endpoint;  // empty: the queue URL's host
  int wait_time_seconds = 20;
  int visibility_timeout_seconds = 120;  // held messages are renewed every half of it
};
// Receives event notification JSON over HTTP (MinIO, Ceph).
struct WebhookSourceConfig {
  std::string listen = "127.0.0.1:9100";
  std::string path = "/s3-events";
  std::string token;  // or from the variable named by token_env
  std::string token_env;
};
// Lists the bucket (ListObjectsV2) every interval, a page per serve round (ReconcileEventSource).
struct ReconcileSourceConfig {
  int64_t interval_seconds = 300;
  int page_size = 1000;
};

struct S3EventSourceConfig {
  std::string type;  // the registered name: sqs | webhook | reconcile
  int line = 0;      // in the configuration file, for messages
  std::variant<SqsSourceConfig, WebhookSourceConfig, ReconcileSourceConfig> source;
};

struct S3StoreConfig {
  S3ServerConfig server;
  std::vector<S3EventSourceConfig> events;
};

// What a started source needs from its owner (see event_source.h).
struct EventSourceContext {
  std::string bucket;
  S3Settings store;                       // the bucket's client settings: region and credentials
  const S3ObjectStore* client = nullptr;  // the bucket's client (what reconcile lists)
  ObjectCallback on_object;
  // An object reconciliation listed; the owner announces it unless its version was seen.
  std::function<Status(const ObjectRef& object)> on_listed;
  LoadCheck load_check;
};

struct EventSourceType {
  // Reads one item of `storage.events` (`type` already read) into `out.source`.
  std::function<Status(const ConfigReader& item, S3EventSourceConfig& out)> parse;
  // Starts the source (reconcile's has no thread: the serve loop polls it).
  std::function<Result<std::unique_ptr<EventSource>>(const S3EventSourceConfig& config,
                                                     const EventSourceContext& context)>
      start;
};
using EventSourceFactory = ComponentFactory<EventSourceType>;

// Reads {type: s3, bucket, endpoint, region, addressing, access_key_id, secret_access_key,
// events}; each event source through EventSourceFactory::Instance().
Status ParseS3StoreConfig(const ConfigReader& section, ObjectStoreConfig& out);

// Registers the object store type `s3`, and the event source types sqs, webhook, reconcile.
void RegisterS3Store(ObjectStoreFactory& factory);
void RegisterSqsEventSource(EventSourceFactory& factory);
void RegisterWebhookEventSource(EventSourceFactory& factory);
void RegisterReconcileEventSource(EventSourceFactory& factory);

}  // namespace ecompipe::storage::s3
