#include "common/redact.h"

#include <gtest/gtest.h>

#include <string>

namespace ecompipe {
namespace {

struct Case {
  const char* url;
  const char* redacted;
};

// Regression (issue 14): smtp://user:PASS@… and http://user:PASS@…?token=… appeared verbatim
// in logs, `ecompipe notifications` and the state database.
TEST(RedactUrlTest, PasswordsAndSecretParametersAreRedacted) {
  const Case cases[] = {
      {"smtp://user:PASS@mail.example.com:587", "smtp://user:REDACTED@mail.example.com:587"},
      {"http://user:PASS@hooks.example.com/x?token=SECRET&team=ops",
       "http://user:REDACTED@hooks.example.com/x?token=REDACTED&team=ops"},
      {"https://h.example.com/p?X-Amz-Signature=abc&X-Amz-Credential=AKIA%2F2026&X-Amz-Date=1",
       "https://h.example.com/p?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&X-Amz-Date=1"},
      {"https://h/p?api_key=1;apikey=2&access_token=3&client_secret=4&password=5&sig=6&Key=7",
       "https://h/p?api_key=REDACTED;apikey=REDACTED&access_token=REDACTED&client_secret=REDACTED"
       "&password=REDACTED&sig=REDACTED&Key=REDACTED"},
      {"https://h/cb#access_token=abc&state=1", "https://h/cb#access_token=REDACTED&state=1"},
      {"https://u:p@ss:w@h/x", "https://u:REDACTED@h/x"},  // the last '@' ends the userinfo
      {"https://user@h/x?page=2&sort=key", "https://user@h/x?page=2&sort=key"},
      {"https://h/x?token=", "https://h/x?token="},
      {"https://h/x?signature", "https://h/x?signature"},
      {"not a url", "not a url"},
      {"", ""},
  };
  for (const Case& c : cases) EXPECT_EQ(RedactUrl(c.url), c.redacted) << c.url;
}

TEST(RedactUrlsTest, EveryUrlInATextIsRedactedAndTheRestKept) {
  EXPECT_EQ(RedactUrls("POST http://u:PASS@h/x?token=SECRET: HTTP 500 (then smtps://a:B@m.)"),
            "POST http://u:REDACTED@h/x?token=REDACTED: HTTP 500 (then smtps://a:REDACTED@m.)");
  EXPECT_EQ(RedactUrls("\"https://h/?key=1\" and ://odd and x://y:z@w"),
            "\"https://h/?key=REDACTED\" and ://odd and x://y:REDACTED@w");
  EXPECT_EQ(RedactUrls("nothing here"), "nothing here");
}

TEST(RedactUrlTest, SecretParameterNames) {
  for (const char* name : {"token", "X-Amz-Security-Token", "secret", "Password", "passwd", "pwd",
                           "key", "signature", "X-Amz-Credential", "auth", "sessionid", "code"})
    EXPECT_TRUE(IsSecretParameter(name)) << name;
  for (const char* name :
       {"page", "team", "state", "X-Amz-Date", "sort", "id", "password_env", "SECRET_ENV"})
    EXPECT_FALSE(IsSecretParameter(name)) << name;
}

}  // namespace
}  // namespace ecompipe
