// UTF-8 validation and the escaping of input text for log lines.
#include <gtest/gtest.h>

#include "models/text.h"

namespace callroot {
namespace {

TEST(Utf8, FirstInvalidByte) {
  EXPECT_EQ(first_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x9E"), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8(""), std::string_view::npos);
  EXPECT_EQ(first_invalid_utf8("caf\xE9"), 3u);               // Latin-1
  EXPECT_EQ(first_invalid_utf8("ok \xC0\xAF"), 3u);            // overlong '/'
  EXPECT_EQ(first_invalid_utf8("ab\xED\xA0\x80"), 2u);         // a surrogate
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);       // past U+10FFFF
  EXPECT_EQ(first_invalid_utf8("cut \xE2\x82"), 4u);           // truncated
  EXPECT_EQ(first_invalid_utf8("\x80"), 0u);                   // a lone continuation byte
}

TEST(LogEscape, InputCannotStartALineOrDriveATerminal) {
  EXPECT_EQ(escape_for_log("restored checkpoint\ninfo FORGED LINE"), "restored checkpoint\\ninfo FORGED LINE");
  EXPECT_EQ(escape_for_log("a\rb\tc\\d"), "a\\rb\\tc\\\\d");
  EXPECT_EQ(escape_for_log("\x1b[2J\x7f\x01"), "\\x1b[2J\\x7f\\x01");
  EXPECT_EQ(escape_for_log("bad \xFF byte"), "bad \\xff byte");
  EXPECT_EQ(escape_for_log("csi \xC2\x9B" "31m"), "csi \\u009b31m");  // U+009B, a C1 control
  EXPECT_EQ(escape_for_log("caf\xC3\xA9 \xE2\x82\xAC"), "caf\xC3\xA9 \xE2\x82\xAC");  // text is kept
}

TEST(LogEscape, NeedsEscapeAgreesWithEscape) {
  for (const std::string_view s : {"plain", "caf\xC3\xA9", "a\nb", "\xC2\x9B", "\xC2\xA0", "\xFF", "back\\slash", ""}) {
    EXPECT_EQ(needs_log_escape(s), escape_for_log(s) != s) << s;
  }
}

}  // namespace
}  // namespace callroot
