#include "storage/object_store.h"

#include <fmt/format.h>

#include <array>
#include <cstddef>
#include <string_view>

#include "common/utf8.h"

namespace ecompipe::storage {
namespace {

constexpr size_t kMaxKeyBytes = 1024;
constexpr size_t kMaxShownKeyBytes = 120;

// The key as it can safely appear in a message: printable ASCII as is, every other byte as
// \xNN, and long keys cut short, so that a hostile key cannot forge log lines.
std::string ShowKey(std::string_view key) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "'";
  for (size_t i = 0; i < key.size() && i < kMaxShownKeyBytes; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  out += key.size() > kMaxShownKeyBytes ? "'..." : "'";
  return out;
}

Status Invalid(std::string_view key, const std::string& what) {
  return Status::InvalidArgument("invalid object key " + ShowKey(key) + ": " + what);
}

bool EndsWithIgnoringCase(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  s.remove_prefix(s.size() - suffix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != suffix[i]) return false;
  }
  return true;
}

}  // namespace

Result<size_t> ObjectStore::CountObjects(const std::string& prefix) const {
  EP_ASSIGN_OR_RETURN(std::vector<ObjectRef> objects, List(prefix));
  return objects.size();
}

Status ValidateKey(const std::string& key) {
  if (key.empty()) return Status::InvalidArgument("invalid object key '': a key cannot be empty");
  if (key.size() > kMaxKeyBytes) {
    return Invalid(key, std::to_string(key.size()) + " bytes long; keys have at most " +
                            std::to_string(kMaxKeyBytes) + " bytes");
  }
  for (size_t i = 0; i < key.size();) {
    char32_t cp = 0;
    const int n = DecodeUtf8(key, i, cp);
    if (n <= 0) return Invalid(key, "invalid UTF-8 at byte " + std::to_string(i));
    // C0 controls, DEL and C1 controls.
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      return Invalid(key, "control character at byte " + std::to_string(i));
    }
    i += static_cast<size_t>(n);
  }
  if (key.front() == '/') {
    return Invalid(key, "starts with '/'; keys are relative paths");
  }
  size_t start = 0;
  for (;;) {
    const size_t slash = key.find('/', start);
    const std::string_view segment = std::string_view(key).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty()) {
      return Invalid(
          key, "empty path segment at byte " + std::to_string(start) + " ('//' or a trailing '/')");
    }
    if (segment == "." || segment == "..") {
      // fmt, not operator+: GCC 12 at -O3 reports a false -Wrestrict on "'" + std::string.
      return Invalid(key, fmt::format("'{}' segment at byte {}; keys cannot contain '.' or '..'",
                                      segment, start));
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return Status::Ok();
}

bool IsTemporaryName(const std::string& file_name) {
  std::string_view name = file_name;
  if (const size_t slash = name.rfind('/'); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  // Also covers ".#x.csv" (Emacs locks), ".x.csv.swp" (Vim), ".", ".." and ".DS_Store".
  if (name.empty() || name.front() == '.') return true;
  if (name.back() == '~') return true;      // editor backups
  if (name.starts_with("~$")) return true;  // office lock files
  // Downloaders (curl, wget, Firefox: .part; Chrome: .crdownload; Safari: .download; WinSCP:
  // .filepart), generic temporaries, and Vim swap files kept outside dot-names.
  static constexpr std::array<std::string_view, 9> kSuffixes = {
      ".part", ".partial", ".crdownload", ".download", ".filepart", ".tmp", ".swp", ".swo", ".swx",
  };
  for (std::string_view suffix : kSuffixes) {
    if (EndsWithIgnoringCase(name, suffix)) return true;
  }
  return false;
}

}  // namespace ecompipe::storage
