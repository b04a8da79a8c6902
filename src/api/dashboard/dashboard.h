// The dashboard (docs/operations.md, "Dashboard"): a single-page app that the API server
// answers at `/`, from files compiled into the binary (embedded_files.h), so it works offline.
// The page and its scripts hold no data and are public; everything shown is read from /api/v1
// with the token the user signs in with, and what a viewer may not do the API refuses, whatever
// the page shows.
#pragma once

#include "api/http/router.h"
#include "common/status.h"

namespace ecompipe::api::dashboard {

// Adds GET / (the page) and GET /assets/{name} (its script, style sheet and Chart.js), both
// public. The page asks GET /api/v1/whoami for the token's role, which decides the buttons it
// shows.
Status AddDashboardRoutes(http::Router& router);

}  // namespace ecompipe::api::dashboard
