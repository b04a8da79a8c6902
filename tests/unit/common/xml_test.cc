// XmlWalk's refusals of hostile documents, its path and text, and the two escapes.
#include "common/xml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ecompipe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(XmlWalkTest, LeafTextsWithTheirPaths) {
  std::vector<std::string> seen;
  XmlWalk w;
  w.on_end = [&](XmlWalk& walk, const std::string& name) {
    if (walk.path().size() == 3) seen.push_back(walk.path()[1] + "/" + name + "=" + walk.text());
  };
  EXPECT_EQ(w.Run("<R><A><K>a &amp; b</K><K><![CDATA[<c>]]></K></A><B><K>d</K></B></R>"), "");
  EXPECT_THAT(seen, ElementsAre("A/K=a & b", "A/K=<c>", "B/K=d"));
}

TEST(XmlWalkTest, RefusesDoctypeAndEntities) {
  XmlWalk w;
  EXPECT_THAT(w.Run("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY a \"aaaa\">]><r>&a;</r>"),
              HasSubstr("DOCTYPE"));
}

TEST(XmlWalkTest, RefusesDeepNestingLongTextAndMalformedInput) {
  XmlWalk deep;
  EXPECT_EQ(deep.Run("<a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a>"),
            "elements nested too deep");
  XmlWalk long_text;
  long_text.max_text_bytes = 4;
  EXPECT_THAT(long_text.Run("<a>12345</a>"), HasSubstr("longer than 4 bytes"));
  XmlWalk malformed;
  EXPECT_THAT(malformed.Run("<a><b></a>"), HasSubstr("at line 1"));
  XmlWalk truncated;
  EXPECT_FALSE(truncated.Run("<a><b>").empty());
}

TEST(XmlWalkTest, FailFromACallbackStopsTheWalk) {
  int ends = 0;
  XmlWalk w;
  w.on_end = [&](XmlWalk& walk, const std::string&) {
    if (++ends == 1) walk.Fail("first one is enough");
  };
  EXPECT_EQ(w.Run("<a><b/><c/><d/></a>"), "first one is enough");
  EXPECT_EQ(ends, 1);
}

TEST(XmlEscapeTest, XmlAndHtml) {
  EXPECT_EQ(XmlEscape("a&b<c>\"d\"'e'\x01\tz"),
            "a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos;&#1;\tz");
  EXPECT_EQ(HtmlEscape("a&b<c>\"d\"'e'\x01"), "a&amp;b&lt;c&gt;&quot;d&quot;'e'\x01");
}

}  // namespace
}  // namespace ecompipe
