#include "common/xml.h"

#include <expat.h>

#include <cstdint>
#include <memory>
#include <type_traits>

namespace ecompipe {
namespace {

// One character's escape, or nullptr when it stays as it is.
const char* MarkupEntity(char c, bool xml) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return xml ? "&apos;" : nullptr;
    default:
      return nullptr;
  }
}

}  // namespace

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (const char* entity = MarkupEntity(ch, true)) {
      out += entity;
    } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
      out += "&#" + std::to_string(c) + ";";
    } else {
      out += ch;
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    if (const char* entity = MarkupEntity(ch, false)) {
      out += entity;
    } else {
      out += ch;
    }
  }
  return out;
}

// expat's callbacks, friends of XmlWalk.
struct XmlWalkHandlers {
  static void XMLCALL Start(void* user, const XML_Char* name, const XML_Char**) {
    auto* w = static_cast<XmlWalk*>(user);
    if (w->path_.size() >= w->max_depth) return w->Fail("elements nested too deep");
    w->path_.emplace_back(name);
    w->text_.clear();
    if (w->on_start) w->on_start(*w, w->path_.back());
  }

  static void XMLCALL End(void* user, const XML_Char* name) {
    auto* w = static_cast<XmlWalk*>(user);
    if (w->on_end) w->on_end(*w, name);
    if (!w->path_.empty()) w->path_.pop_back();
    w->text_.clear();
  }

  static void XMLCALL Characters(void* user, const XML_Char* s, int len) {
    auto* w = static_cast<XmlWalk*>(user);
    if (w->text_.size() + static_cast<size_t>(len) > w->max_text_bytes)
      return w->Fail("a text field is longer than " + std::to_string(w->max_text_bytes) + " bytes");
    w->text_.append(s, static_cast<size_t>(len));
  }

  static void XMLCALL StartDoctype(void* user, const XML_Char*, const XML_Char*, const XML_Char*,
                                   int) {
    static_cast<XmlWalk*>(user)->Fail("a DOCTYPE (S3 never sends one; entities are not expanded)");
  }
};

void XmlWalk::Fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  XML_StopParser(static_cast<XML_Parser>(parser_), XML_FALSE);
}

std::string XmlWalk::Run(std::string_view xml) {
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, decltype(&XML_ParserFree)> parser(
      XML_ParserCreate("UTF-8"), XML_ParserFree);
  if (!parser) return "out of memory";
  parser_ = parser.get();
  path_.clear();
  text_.clear();
  error_.clear();
  XML_SetUserData(parser.get(), this);
  XML_SetElementHandler(parser.get(), XmlWalkHandlers::Start, XmlWalkHandlers::End);
  XML_SetCharacterDataHandler(parser.get(), XmlWalkHandlers::Characters);
  XML_SetStartDoctypeDeclHandler(parser.get(), XmlWalkHandlers::StartDoctype);
  XML_SetParamEntityParsing(parser.get(), XML_PARAM_ENTITY_PARSING_NEVER);
  if (xml.size() > static_cast<size_t>(INT32_MAX)) return "document too large";
  const XML_Status st = XML_Parse(parser.get(), xml.data(), static_cast<int>(xml.size()), XML_TRUE);
  std::string error = error_;
  if (error.empty() && st != XML_STATUS_OK) {
    error = std::string(XML_ErrorString(XML_GetErrorCode(parser.get()))) + " at line " +
            std::to_string(XML_GetCurrentLineNumber(parser.get()));
  }
  parser_ = nullptr;
  return error;
}

}  // namespace ecompipe
