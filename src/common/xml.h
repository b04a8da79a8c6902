// XML in ecompipe, in one place: escaping text for XML (S3 responses) and HTML (email bodies),
// and XmlWalk, a small streaming reader over expat for the S3 documents ecompipe reads (list
// and error answers, multipart-completion and delete request bodies).
//
// Hostile input is refused, never expanded: a document with a DOCTYPE (the only way to
// declare entities, hence "billion laughs" and external entities) is an error, as is anything
// malformed or truncated, a document nested deeper than the limit, and a text field longer
// than the limit. Functions are pure and thread-safe; an XmlWalk is used by one thread.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ecompipe {

// Escapes &, <, >, " and ' and writes the control characters XML 1.0 cannot carry as
// numeric references ("&#1;", XML 1.1 style; S3 keys never hold them).
std::string XmlEscape(std::string_view text);
// Escapes &, <, > and " (HTML text and double-quoted attribute values); nothing else changes.
std::string HtmlEscape(std::string_view text);

// Walks a document element by element. Set the callbacks, then Run(). Inside a callback,
// path() is the names of the open elements from the root (the current one last) and text()
// the character data read since the last element opened or closed, so in on_end of a leaf
// element its whole text.
class XmlWalk {
 public:
  static constexpr size_t kDefaultMaxDepth = 8;
  static constexpr size_t kDefaultMaxTextBytes = 64 * 1024;

  std::function<void(XmlWalk&, const std::string& name)> on_start;
  std::function<void(XmlWalk&, const std::string& name)> on_end;
  size_t max_depth = kDefaultMaxDepth;
  size_t max_text_bytes = kDefaultMaxTextBytes;

  const std::vector<std::string>& path() const { return path_; }
  const std::string& text() const { return text_; }
  // Stops the walk; Run() returns `why` (the first reason given).
  void Fail(std::string why);

  // Reads `xml` (UTF-8) to its end. Returns "" when the document was read whole, else why not:
  // a callback's Fail() reason, a refusal (DOCTYPE, depth, text length) or expat's parse error
  // with its line ("not well-formed (invalid token) at line 3").
  std::string Run(std::string_view xml);

 private:
  friend struct XmlWalkHandlers;
  void* parser_ = nullptr;
  std::vector<std::string> path_;
  std::string text_;
  std::string error_;
};

}  // namespace ecompipe
