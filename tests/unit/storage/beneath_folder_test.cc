#include "storage/local/beneath_folder.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "storage_test_util.h"

namespace ecompipe::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_util::ReadFile;
using testing_util::TempFolder;
using testing_util::WriteFile;

// Every test runs twice: with openat2 (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and with the
// per-segment O_NOFOLLOW fallback used on kernels without it.
class BeneathFolderTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    ForceOpenBeneathFallbackForTesting(GetParam());
    WriteFile(tmp_ / "outside/secret.csv", "secret");
    WriteFile(tmp_ / "root/a/file.csv", "inside");
    auto root = BeneathFolder::OpenRoot(tmp_ / "root", /*create=*/false);
    ASSERT_TRUE(root.ok()) << root.status().ToString();
    root_.emplace(std::move(root).value());
  }
  void TearDown() override { ForceOpenBeneathFallbackForTesting(false); }

  const BeneathFolder& root() { return *root_; }
  fs::path In(const std::string& rel) { return tmp_ / "root" / rel; }

  TempFolder tmp_;
  std::optional<BeneathFolder> root_;
};

std::string Read(const BeneathFolder& folder, const std::string& rel) {
  auto text = folder.ReadSmallFile(rel);
  return text.ok() ? *text : "<" + text.status().ToString() + ">";
}

TEST_P(BeneathFolderTest, OpensFilesAndFoldersBeneath) {
  EXPECT_EQ(Read(root(), "a/file.csv"), "inside");
  auto a = root().Folder("a", false);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(Read(*a, "file.csv"), "inside");
  EXPECT_EQ(a->display(), "a");
}

TEST_P(BeneathFolderTest, RefusesFinalLinkToFileOutside) {
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/link.csv"));
  const int fd = OpenBeneath(root().fd(), "a/link.csv", O_RDONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, ELOOP);
  auto read = root().ReadSmallFile("a/link.csv");
  EXPECT_EQ(read.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(read.status().message(), HasSubstr("'a/link.csv' is a symbolic link"));
  // Messages name the place in the folder, never a server path.
  EXPECT_THAT(read.status().message(), Not(HasSubstr(tmp_.path().string())));
}

TEST_P(BeneathFolderTest, RefusesLinksInsideTheFolderAndDanglingLinks) {
  fs::create_symlink("file.csv", In("a/relative.csv"));
  fs::create_symlink(In("a/file.csv"), In("a/absolute.csv"));
  fs::create_symlink(tmp_ / "nowhere", In("a/dangling.csv"));
  for (const std::string rel : {"a/relative.csv", "a/absolute.csv", "a/dangling.csv"}) {
    EXPECT_EQ(root().OpenFile(rel, O_RDONLY).status().code(), StatusCode::kInvalidArgument) << rel;
  }
}

TEST_P(BeneathFolderTest, RefusesLinkedIntermediateFolder) {
  fs::create_directory_symlink(tmp_ / "outside", In("a/linked"));
  fs::create_directory_symlink(In("a"), In("inner"));  // a link to a folder inside, too
  EXPECT_EQ(root().OpenFile("a/linked/secret.csv", O_RDONLY).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(root().OpenFile("inner/file.csv", O_RDONLY).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(root().Folder("a/linked", false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(root().Entries("a/linked").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(root().Stat("a/linked/secret.csv").status().code(), StatusCode::kInvalidArgument);
  auto read = root().ReadSmallFile("a/linked/secret.csv");
  EXPECT_THAT(read.status().message(), HasSubstr("'a/linked' is a symbolic link"));
}

TEST_P(BeneathFolderTest, RefusesEscapingAndMalformedPaths) {
  for (const std::string rel : {"../outside/secret.csv", "a/../../outside/secret.csv",
                                "/etc/passwd", "a//file.csv", "./a/file.csv", ""}) {
    EXPECT_EQ(OpenBeneath(root().fd(), rel, O_RDONLY), -1) << rel;
    EXPECT_EQ(errno, EINVAL) << rel;
  }
}

TEST_P(BeneathFolderTest, CreatingFoldersNeverWritesThroughALink) {
  fs::create_directory_symlink(tmp_ / "outside", In("a/linked"));
  EXPECT_EQ(root().Folder("a/linked/new", true).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(root().OpenFile("a/linked/new.csv", O_WRONLY | O_CREAT | O_EXCL).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp_ / "outside/new"));
  EXPECT_FALSE(fs::exists(tmp_ / "outside/new.csv"));
  auto made = root().Folder("b/c/d", true);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  EXPECT_TRUE(fs::is_directory(In("b/c/d")));
}

TEST_P(BeneathFolderTest, StatDoesNotFollowAFinalLink) {
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/link.csv"));
  auto st = root().Stat("a/link.csv");
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_TRUE(S_ISLNK(st->st_mode));
}

TEST_P(BeneathFolderTest, EntriesReportLinksAsLinks) {
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/flink"));
  fs::create_directory_symlink(tmp_ / "outside", In("a/dlink"));
  fs::create_directory(In("a/sub"));
  auto entries = root().Entries("a");
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  std::vector<std::string> seen;
  for (const auto& e : *entries) {
    const char* type = e.type == BeneathFolder::EntryType::kFile     ? "file"
                       : e.type == BeneathFolder::EntryType::kFolder ? "folder"
                       : e.type == BeneathFolder::EntryType::kLink   ? "link"
                                                                     : "other";
    seen.push_back(e.name + ":" + type);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen,
            (std::vector<std::string>{"dlink:link", "file.csv:file", "flink:link", "sub:folder"}));
}

TEST_P(BeneathFolderTest, RemovesLinksNeverTheirTargets) {
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/flink"));
  fs::create_directory_symlink(tmp_ / "outside", In("a/dlink"));
  ASSERT_TRUE(root().RemoveFile("a/flink").ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(In("a/flink"))));
  ASSERT_TRUE(root().RemoveTree("a").ok());
  EXPECT_FALSE(fs::exists(In("a")));
  EXPECT_EQ(ReadFile(tmp_ / "outside/secret.csv"), "secret");
  // A removal through a linked folder is refused.
  fs::create_directory_symlink(tmp_ / "outside", In("x"));
  EXPECT_EQ(root().RemoveFile("x/secret.csv").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::exists(tmp_ / "outside/secret.csv"));
}

TEST_P(BeneathFolderTest, RenameAndWriteReplaceALinkRatherThanFollowIt) {
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/link.csv"));
  ASSERT_TRUE(root().WriteSmallFile("a/link.csv", "replaced").ok());
  EXPECT_EQ(Read(root(), "a/link.csv"), "replaced");
  EXPECT_EQ(ReadFile(tmp_ / "outside/secret.csv"), "secret");
  fs::create_directory_symlink(tmp_ / "outside", In("a/dlink"));
  EXPECT_EQ(root().Rename("a/file.csv", "a/dlink/file.csv").code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(tmp_ / "outside/file.csv"));
}

TEST_P(BeneathFolderTest, FindLinkNamesTheFirstLinkOnThePath) {
  fs::create_directory_symlink(tmp_ / "outside", In("a/dlink"));
  fs::create_symlink(tmp_ / "outside/secret.csv", In("a/flink"));
  EXPECT_EQ(root().FindLink("a/dlink/secret.csv"), "a/dlink");
  EXPECT_EQ(root().FindLink("a/flink"), "a/flink");
  EXPECT_EQ(root().FindLink("a/file.csv"), std::nullopt);
  EXPECT_EQ(root().FindLink("missing/x.csv"), std::nullopt);
}

TEST_P(BeneathFolderTest, RootGivenAsALinkIsResolvedOnce) {
  fs::create_directory_symlink(tmp_ / "root", tmp_ / "root-link");
  auto via_link = BeneathFolder::OpenRoot(tmp_ / "root-link", false);
  ASSERT_TRUE(via_link.ok()) << via_link.status().ToString();
  // Re-pointing the configured link later does not move the open folder.
  fs::remove(tmp_ / "root-link");
  fs::create_directory_symlink(tmp_ / "outside", tmp_ / "root-link");
  EXPECT_EQ(Read(*via_link, "a/file.csv"), "inside");
  EXPECT_EQ(via_link->OpenFile("secret.csv", O_RDONLY).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Resolution, BeneathFolderTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "PerSegmentFallback" : "Openat2";
                         });

}  // namespace
}  // namespace ecompipe::storage
