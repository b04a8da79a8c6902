#include "common/worker_lease.h"

#include <unistd.h>

#include "common/ids.h"

namespace ecompipe {

const std::string& WorkerLease::NewWorkerIdOnce() {
  static const std::string id = [] {
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
    return std::string(host[0] ? host : "localhost") + ":" + std::to_string(::getpid()) + ":" +
           NewHex(4);
  }();
  return id;
}

}  // namespace ecompipe
