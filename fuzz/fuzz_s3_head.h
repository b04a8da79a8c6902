// The request-head text format of the S3 fuzz targets:
//   METHOD /path?name=value&name=value
//   Header-Name: value
//   ...
//   <empty line>
//   body
// Nothing is decoded: the path and query are taken as the server layer would hand them over.
#pragma once

#include <string>
#include <string_view>

#include "api/s3/s3_request.h"
#include "fuzz_util.h"

namespace ecompipe::fuzz {

// Parses the head at the start of `text` and leaves `text` at the body.
inline api::s3::S3Request ParseHead(std::string_view& text) {
  api::s3::S3Request r;
  auto [line, rest] = SplitAt(text, '\n');
  auto [method, target] = SplitAt(line, ' ');
  r.method = std::string(method);
  auto [path, query] = SplitAt(target, '?');
  r.path = std::string(path);
  while (!query.empty()) {
    auto [pair, more] = SplitAt(query, '&');
    auto [name, value] = SplitAt(pair, '=');
    r.query.emplace_back(std::string(name), std::string(value));
    query = more;
  }
  while (!rest.empty()) {
    auto [header, after] = SplitAt(rest, '\n');
    rest = after;
    if (header.empty() || header == "\r") break;
    auto [name, value] = SplitAt(header, ':');
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    r.headers.emplace_back(std::string(name), std::string(value));
  }
  text = rest;
  return r;
}
}  // namespace ecompipe::fuzz
