#include "storage/s3/s3_store_config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>

#include "storage/s3/reconcile_event_source.h"
#include "storage/s3/sqs_event_source.h"
#include "storage/s3/webhook_event_source.h"

namespace ecompipe::storage::s3 {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return std::string(v ? v : "");
}

Status ParseSqsSource(const ConfigReader& e, S3EventSourceConfig& out) {
  SqsSourceConfig src;
  EP_RETURN_IF_ERROR(e.CheckKeys(
      {"type", "queue_url", "endpoint", "wait_time_seconds", "visibility_timeout_seconds"}));
  EP_RETURN_IF_ERROR(e.String("queue_url", src.queue_url, true));
  if (src.queue_url.rfind("http://", 0) != 0 && src.queue_url.rfind("https://", 0) != 0)
    return e.Error(e.Node("queue_url"),
                   "'" + e.Path("queue_url") + "' must be the queue's URL (https://sqs.…)");
  EP_RETURN_IF_ERROR(e.String("endpoint", src.endpoint));
  EP_RETURN_IF_ERROR(e.Int("wait_time_seconds", src.wait_time_seconds, 0, 20));
  EP_RETURN_IF_ERROR(e.Int("visibility_timeout_seconds", src.visibility_timeout_seconds, 2, 43200));
  out.source = std::move(src);
  return Status::Ok();
}

Result<std::unique_ptr<EventSource>> StartSqsSource(const S3EventSourceConfig& c,
                                                    const EventSourceContext& context) {
  const auto& config = std::get<SqsSourceConfig>(c.source);
  SqsSettings s;
  s.queue_url = config.queue_url;
  s.endpoint = config.endpoint;
  s.region = context.store.region;
  s.credentials = context.store.credentials;
  s.wait_time_seconds = config.wait_time_seconds;
  s.visibility_timeout_seconds = config.visibility_timeout_seconds;
  EP_ASSIGN_OR_RETURN(
      auto source, SqsEventSource::Start(s, context.bucket, context.on_object, context.load_check));
  return std::unique_ptr<EventSource>(std::move(source));
}

Status ParseWebhookSource(const ConfigReader& e, S3EventSourceConfig& out) {
  WebhookSourceConfig src;
  EP_RETURN_IF_ERROR(e.CheckKeys({"type", "listen", "path", "token", "token_env"}));
  EP_RETURN_IF_ERROR(e.String("listen", src.listen));
  const size_t colon = src.listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos) {
    const std::string p = src.listen.substr(colon + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || end != p.data() + p.size()) port = -1;
  }
  if (colon == std::string::npos || colon == 0 || port < 0 || port > 65535)
    return e.Error(e.Node("listen"),
                   "'" + e.Path("listen") + "' must be host:port (\"127.0.0.1:9100\")");
  EP_RETURN_IF_ERROR(e.String("path", src.path));
  if (src.path.empty() || src.path[0] != '/')
    return e.Error(e.Node("path"), "'" + e.Path("path") + "' must start with '/'");
  EP_RETURN_IF_ERROR(e.String("token", src.token));
  EP_RETURN_IF_ERROR(e.String("token_env", src.token_env));
  if (src.token.empty() == src.token_env.empty())
    return e.Error(
        "give 'token_env' (the name of the variable holding the shared secret) or 'token'");
  out.source = std::move(src);
  return Status::Ok();
}

Result<std::unique_ptr<EventSource>> StartWebhookSource(const S3EventSourceConfig& c,
                                                        const EventSourceContext& context) {
  const auto& config = std::get<WebhookSourceConfig>(c.source);
  WebhookSettings s;
  const size_t colon = config.listen.rfind(':');
  s.host = config.listen.substr(0, colon);
  const std::string port = config.listen.substr(colon + 1);
  std::from_chars(port.data(), port.data() + port.size(), s.port);
  s.path = config.path;
  s.token = config.token;
  if (!config.token_env.empty()) {
    s.token = Env(config.token_env.c_str());
    if (s.token.empty())
      return Status::InvalidArgument("the S3 webhook source's token variable " + config.token_env +
                                     " is not set (or empty)");
  }
  EP_ASSIGN_OR_RETURN(auto source,
                      WebhookEventSource::Start(std::move(s), context.bucket, context.on_object));
  return std::unique_ptr<EventSource>(std::move(source));
}

Status ParseReconcileSource(const ConfigReader& e, S3EventSourceConfig& out) {
  ReconcileSourceConfig src;
  EP_RETURN_IF_ERROR(e.CheckKeys({"type", "interval_seconds", "page_size"}));
  EP_RETURN_IF_ERROR(e.Int("interval_seconds", src.interval_seconds, 1, 86400 * 7));
  EP_RETURN_IF_ERROR(e.Int("page_size", src.page_size, 1, 1000));
  out.source = src;
  return Status::Ok();
}

}  // namespace

S3Settings S3ServerConfig::Settings(const std::string& bucket) const {
  S3Settings s;
  s.bucket = bucket;
  s.endpoint = endpoint;
  s.region = region;
  // AWS prefers virtual-hosted addressing; other servers (MinIO, Ceph, moto) are usually
  // reached by an IP or a single host name, where only path style works.
  const std::string style = !addressing.empty() ? addressing
                            : endpoint.empty()  ? "virtual"
                                                : "path";
  s.addressing = style == "virtual" ? Addressing::kVirtual : Addressing::kPath;
  s.credentials.access_key_id = access_key_id.empty() ? Env("AWS_ACCESS_KEY_ID") : access_key_id;
  s.credentials.secret_access_key =
      access_key_id.empty() ? Env("AWS_SECRET_ACCESS_KEY") : secret_access_key;
  if (access_key_id.empty()) s.credentials.session_token = Env("AWS_SESSION_TOKEN");
  return s;
}

Status ParseS3StoreConfig(const ConfigReader& s, ObjectStoreConfig& out) {
  S3StoreConfig st;
  S3ServerConfig& server = st.server;
  EP_RETURN_IF_ERROR(s.CheckKeys({"type", "bucket", "endpoint", "region", "addressing",
                                  "access_key_id", "secret_access_key", "events"}));
  EP_RETURN_IF_ERROR(s.String("bucket", out.bucket, true));
  EP_RETURN_IF_ERROR(s.String("endpoint", server.endpoint));
  if (!server.endpoint.empty() && server.endpoint.rfind("http://", 0) != 0 &&
      server.endpoint.rfind("https://", 0) != 0)
    return s.Error(s.Node("endpoint"), "'storage.endpoint' must start with http:// or https://");
  EP_RETURN_IF_ERROR(s.String("region", server.region));
  if (server.region.empty()) return s.Error(s.Node("region"), "'storage.region' must not be empty");
  EP_RETURN_IF_ERROR(s.String("addressing", server.addressing));
  if (!server.addressing.empty() && server.addressing != "path" && server.addressing != "virtual")
    return s.Error(s.Node("addressing"), "'storage.addressing' must be 'path' or 'virtual'");
  EP_RETURN_IF_ERROR(s.String("access_key_id", server.access_key_id));
  EP_RETURN_IF_ERROR(s.String("secret_access_key", server.secret_access_key));
  if (server.access_key_id.empty() != server.secret_access_key.empty())
    return s.Error(
        "give both 'storage.access_key_id' and 'storage.secret_access_key', or neither (then "
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are used)");
  const YAML::Node events = s.Node("events");
  if (events.IsDefined() && !events.IsNull()) {
    if (!events.IsSequence()) return s.Error(events, "'storage.events' must be a list");
    const EventSourceFactory& factory = EventSourceFactory::Instance();
    for (size_t i = 0; i < events.size(); ++i) {
      ConfigReader e = s.Child("events").Item(events[i], i);
      EP_RETURN_IF_ERROR(e.ExpectMap());
      S3EventSourceConfig src;
      src.line = events[i].Mark().line + 1;
      EP_RETURN_IF_ERROR(e.String("type", src.type, true));
      if (std::any_of(st.events.begin(), st.events.end(),
                      [&](const auto& o) { return o.type == src.type; }))
        return e.Error(e.Node("type"), "a second event source of type '" + src.type + "'");
      const EventSourceType* type = factory.Find(src.type);
      if (!type)
        return e.Error(e.Node("type"), "'" + e.Path("type") + "': '" + src.type +
                                           "' is not an event source (allowed: " +
                                           ConfigReader::Join(factory.Types()) + ")");
      EP_RETURN_IF_ERROR(type->parse(e, src));
      st.events.push_back(std::move(src));
    }
  }
  out.settings = std::move(st);
  return Status::Ok();
}

void RegisterS3Store(ObjectStoreFactory& factory) {
  factory.Register(
      "s3",
      {ParseS3StoreConfig, [](const ObjectStoreConfig& c) -> Result<std::unique_ptr<ObjectStore>> {
         const auto* s3 = c.As<S3StoreConfig>();
         if (!s3) return Status(StatusCode::kInternal, "not an s3 store's settings");
         EP_ASSIGN_OR_RETURN(auto store, S3ObjectStore::Open(s3->server.Settings(c.bucket)));
         return std::unique_ptr<ObjectStore>(std::move(store));
       }});
}

void RegisterSqsEventSource(EventSourceFactory& factory) {
  factory.Register("sqs", {ParseSqsSource, StartSqsSource});
}

void RegisterWebhookEventSource(EventSourceFactory& factory) {
  factory.Register("webhook", {ParseWebhookSource, StartWebhookSource});
}

void RegisterReconcileEventSource(EventSourceFactory& factory) {
  factory.Register(
      "reconcile",
      {ParseReconcileSource,
       [](const S3EventSourceConfig& c,
          const EventSourceContext& context) -> Result<std::unique_ptr<EventSource>> {
         const auto& r = std::get<ReconcileSourceConfig>(c.source);
         if (!context.client)
           return Status::InvalidArgument("reconciliation applies to s3 buckets only");
         return std::unique_ptr<EventSource>(new ReconcileEventSource(
             *context.client, r.interval_seconds * 1000, r.page_size, context.on_listed));
       }});
}

}  // namespace ecompipe::storage::s3
