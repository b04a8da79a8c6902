#include "cli/validate_command.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/http/token_auth.h"
#include "common/sql_db.h"
#include "notify/email_subscriber.h"
#include "runtime/config.h"
#include "runtime/config_lint.h"
#include "runtime/register_components.h"
#include "runtime/state_schema.h"
#include "storage/object_store_config.h"
#include "warehouse/sqlite/sqlite_warehouse_config.h"
#include "warehouse/warehouse_config.h"

namespace ecompipe::cli {
namespace {

namespace fs = std::filesystem;

// "FILE:LINE: error: message" from a Status placed at "FILE:LINE" (or at a path inside it).
std::string Diagnostic(const Status& s, const std::string& kind) {
  if (s.place().empty()) return kind + ": " + s.message();
  return s.place() + ": " + kind + ": " + s.message();
}

// What one backend answered: "ok ..." or an error.
struct Probe {
  std::string what;
  Result<std::string> answer;
};

Result<std::string> ProbeState(const StateConfig& state) {
  if (!state.shared() && !fs::exists(state.path))
    return "not created yet (" + state.path.string() + "; the first run creates it)";
  EP_ASSIGN_OR_RETURN(std::unique_ptr<SqlDb> db, OpenSqlDb(state.Location(), 5000));
  EP_ASSIGN_OR_RETURN(SqlRows rows,
                      db->Query(db->postgres() ? "SELECT to_regclass('ecompipe_state_version') "
                                                 "IS NOT NULL"
                                               : "SELECT count(*) FROM sqlite_master WHERE "
                                                 "name = 'ecompipe_state_version'"));
  const bool versioned = !rows.empty() && (rows.Text(0, 0) == "t" || rows.Int(0, 0) > 0);
  std::string version = "0";
  if (versioned) {
    EP_ASSIGN_OR_RETURN(SqlRows v, db->Query("SELECT max(version) FROM ecompipe_state_version"));
    version = v.Text(0, 0);
  }
  return std::string(db->postgres() ? "PostgreSQL" : "SQLite " + state.path.string()) +
         " answered, schema version " + version +
         " (this ecompipe: " + std::to_string(runtime::kStateSchemaVersion) + ")";
}

Result<std::string> ProbeWarehouse(const warehouse::WarehouseConfig& c) {
  const warehouse::WarehouseType* type = warehouse::WarehouseFactory::Instance().Find(c.type);
  if (!type) return Status::InvalidArgument("warehouse type '" + c.type + "' is not registered");
  if (const auto* sqlite = c.As<warehouse::SqliteWarehouseConfig>()) {
    if (!fs::exists(sqlite->path))
      return "not created yet (" + sqlite->path.string() + "; the first run creates it)";
  }
  EP_ASSIGN_OR_RETURN(std::unique_ptr<warehouse::Warehouse> w, type->open(c));
  EP_ASSIGN_OR_RETURN(warehouse::QueryResult r, w->Query("SELECT 1"));
  return type->describe(c) + " answered";
}

Result<std::string> ProbeBucket(const storage::ObjectStoreConfig& c) {
  const storage::ObjectStoreType* type = storage::ObjectStoreFactory::Instance().Find(c.type);
  if (!type) return Status::InvalidArgument("storage type '" + c.type + "' is not registered");
  EP_ASSIGN_OR_RETURN(std::unique_ptr<storage::ObjectStore> store, type->open(c));
  // A key nobody uses: the store answers "not found" without listing a large bucket.
  Result<storage::ObjectRef> head = store->Head("ecompipe-validate-probe/absent");
  if (!head.ok() && head.status().code() != StatusCode::kNotFound) return head.status();
  return store->where() + " answered";
}

// A TCP connection to an SMTP server and its greeting (smtp://); smtps:// gets the connection
// only (the greeting comes after TLS).
Result<std::string> ProbeSmtp(const std::string& url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return Status::InvalidArgument("not a URL: " + url);
  const bool tls = url.compare(0, scheme_end, "smtps") == 0;
  std::string hostport = url.substr(scheme_end + 3);
  hostport = hostport.substr(0, hostport.find('/'));
  if (size_t at = hostport.rfind('@'); at != std::string::npos) hostport = hostport.substr(at + 1);
  std::string host = hostport, port = tls ? "465" : "25";
  if (size_t colon = hostport.rfind(':'); colon != std::string::npos && hostport.back() != ']') {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  }
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return Status::Unavailable("cannot resolve " + host + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(found, freeaddrinfo);
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      continue;
    }
    if (tls) {
      ::close(fd);
      return host + ":" + port + " accepted a connection (TLS not checked)";
    }
    char buf[512] = {};
    const ssize_t n = ::recv(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    std::string greeting = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    greeting = greeting.substr(0, greeting.find_first_of("\r\n"));
    if (greeting.rfind("220", 0) != 0)
      return Status::Unavailable(host + ":" + port + " did not greet as an SMTP server" +
                                 (greeting.empty() ? "" : ": " + greeting));
    return host + ":" + port + " answered: " + greeting;
  }
  return Status::Unavailable("cannot connect to " + host + ":" + port);
}

std::vector<Probe> Connect(const runtime::PipelineConfig& c) {
  std::vector<Probe> probes;
  probes.push_back({"bucket", ProbeBucket(c.storage)});
  probes.push_back({"state store", ProbeState(c.state)});
  probes.push_back({"warehouse", ProbeWarehouse(c.warehouse)});
  if (c.api.enabled) {
    // The tokens serve would read: each variable set or file readable, long enough, distinct.
    Result<std::vector<api::http::TokenAuth::Token>> tokens =
        api::http::TokenAuth().Resolve(c.api.tokens);
    probes.push_back({"api tokens", tokens.ok() ? Result<std::string>(std::to_string(
                                                      tokens->size()) + " readable")
                                                : Result<std::string>(tokens.status())});
  }
  for (const notify::Topic& topic : c.topics) {
    for (const notify::Subscription& sub : topic.subscriptions) {
      const std::string what = "topic " + topic.name + " " + sub.name;
      if (const auto* email = sub.As<notify::EmailSubscription>()) {
        probes.push_back({what, ProbeSmtp(email->smtp.url)});
      } else if (sub.type != "log") {
        // A webhook or SNS topic would receive a message: not contacted.
        probes.push_back({what, std::string("not contacted (a ") + sub.type +
                                    " receives messages only from a run)"});
      }
    }
  }
  return probes;
}

int Validate(const std::string& config, bool connect) {
  Result<fs::path> path = runtime::FindConfig(config);
  if (!path.ok()) {
    std::cerr << "ecompipe: error: " << path.status().ToString() << "\n";
    return 1;
  }
  std::ifstream in(*path);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) {
    std::cerr << "ecompipe: error: cannot read " << path->string() << "\n";
    return 1;
  }
  runtime::ConfigCheck check = runtime::CheckConfig(text.str(), *path);
  const std::string file = path->filename().string();
  for (const Status& e : check.errors) std::cout << Diagnostic(e, "error") << "\n";
  std::vector<runtime::ConfigWarning> warnings;
  if (check.config) warnings = runtime::RuleWarnings(*check.config, text.str());
  for (const runtime::ConfigWarning& w : warnings)
    std::cout << file << (w.line ? ":" + std::to_string(w.line) : "") << ": warning: " << w.message
              << "\n";
  const auto plural = [](size_t n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
  };
  if (!check.config) {
    std::cout << file << ": invalid: " << plural(check.errors.size(), "error") << ", "
              << plural(warnings.size(), "warning") << "\n";
    return 1;
  }
  const runtime::PipelineConfig& c = *check.config;
  size_t subscriptions = 0;
  for (const auto& t : c.topics) subscriptions += t.subscriptions.size();
  std::cout << file << ": valid: " << plural(c.rules.size(), "rule") << ", "
            << plural(c.crawlers.size(), "crawler") << ", " << plural(c.jobs.size(), "job") << ", "
            << plural(c.topics.size(), "topic") << " with " << plural(subscriptions, "subscription")
            << "; " << plural(warnings.size(), "warning") << "\n";
  if (!connect) return 0;
  int rc = 0;
  for (const Probe& p : Connect(c)) {
    if (p.answer.ok()) {
      std::cout << "connect " << p.what << ": " << *p.answer << "\n";
    } else {
      std::cout << "connect " << p.what << ": error: " << p.answer.status().ToString() << "\n";
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

CLI::App* AddValidateCommand(CLI::App& app, const std::string& config,
                             std::function<int()>& action) {
  auto* cmd = app.add_subcommand(
      "validate",
      "Check the configuration without running anything: every error at once with its line, "
      "warnings for rules that can never match; --connect also reaches each backend "
      "(exit 0 valid, 1 invalid)");
  auto connect = std::make_shared<bool>(false);
  cmd->add_flag("--connect", *connect,
                "Also reach the bucket, the state store, the warehouse and SMTP servers, and "
                "say what answered (nothing is created or changed)");
  cmd->callback([&action, &config, connect] {
    action = [&config, connect] {
      runtime::RegisterComponents();
      return Validate(config, *connect);
    };
  });
  return cmd;
}

}  // namespace ecompipe::cli
