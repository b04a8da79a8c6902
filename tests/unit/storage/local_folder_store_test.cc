#include "storage/local/local_folder_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage_test_util.h"

namespace ecompipe::storage {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_util::ReadAll;
using testing_util::ReadFile;
using testing_util::TempFolder;
using testing_util::WriteFile;

constexpr char kEmptyMd5[] = "d41d8cd98f00b204e9800998ecf8427e";
constexpr char kHelloMd5[] = "5d41402abc4b2a76b9719d911017c592";  // md5("hello")

std::unique_ptr<LocalFolderStore> OpenStore(const fs::path& root) {
  auto store = LocalFolderStore::Open(root, "landing");
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

std::vector<std::string> Keys(const std::vector<ObjectRef>& objects) {
  std::vector<std::string> keys;
  for (const ObjectRef& o : objects) keys.push_back(o.key);
  return keys;
}

// CountObjects' answer, or 99 when it fails.
size_t Count(const LocalFolderStore& store, const std::string& prefix) {
  Result<size_t> count = store.CountObjects(prefix);
  EXPECT_TRUE(count.ok()) << prefix << ": " << count.status().ToString();
  return count.ok() ? *count : 99;
}

// Moves the file's modification time well into the past, so that its ETag may be cached.
void Age(const fs::path& path) {
  fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(1));
}

TEST(LocalFolderStoreTest, OpenCreatesMissingRoot) {
  TempFolder tmp;
  const fs::path root = tmp / "not/yet/there";
  auto store = OpenStore(root);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(fs::is_directory(root));
  EXPECT_EQ(store->bucket(), "landing");
  EXPECT_EQ(store->root(), fs::absolute(root));
}

TEST(LocalFolderStoreTest, OpenRejectsEmptyBucketNameAndFileRoot) {
  TempFolder tmp;
  EXPECT_EQ(LocalFolderStore::Open(tmp.path(), "").status().code(), StatusCode::kInvalidArgument);
  WriteFile(tmp / "file", "x");
  EXPECT_EQ(LocalFolderStore::Open(tmp / "file", "b").status().code(), StatusCode::kIoError);
}

TEST(LocalFolderStoreTest, PutIsAtomicAndListed) {
  TempFolder tmp;
  auto store = OpenStore(tmp / "bucket");
  WriteFile(tmp / "upload.csv", "id,amount\n1,2.50\n");

  auto ref = store->Put("transactions/x.csv", tmp / "upload.csv");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->bucket, "landing");
  EXPECT_EQ(ref->key, "transactions/x.csv");
  EXPECT_EQ(ref->size, 17u);
  EXPECT_GT(ref->mtime_ms, 0);
  EXPECT_EQ(ReadFile(store->PathOf("transactions/x.csv")), "id,amount\n1,2.50\n");
  // Nothing is left behind in the staging folder.
  EXPECT_TRUE(fs::is_empty(store->root() / kStagingFolderName));

  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].key, "transactions/x.csv");
  EXPECT_EQ((*listed)[0].etag, ref->etag);
  EXPECT_EQ((*listed)[0].size, ref->size);
}

TEST(LocalFolderStoreTest, PutBytesThenOpenReadsContent) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  auto ref = store->PutBytes("a/b/c.csv", "hello");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->etag, kHelloMd5);
  auto stream = store->Open(*ref);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  auto content = ReadAll(**stream);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "hello");
}

TEST(LocalFolderStoreTest, PutRejectsInvalidKeys) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  for (const std::string key : {"../escape.csv", "/abs.csv", "a//b.csv", "a/x.csv.part", ".hidden",
                                "a/.x.swp", ".ecompipe-tmp/x.csv", "a/.ecompipe-tmp/x"}) {
    auto ref = store->PutBytes(key, "data");
    EXPECT_EQ(ref.status().code(), StatusCode::kInvalidArgument) << key;
  }
  EXPECT_FALSE(fs::exists(tmp.path().parent_path() / "escape.csv"));
  EXPECT_THAT(store->PutBytes("a/x.csv.part", "d").status().message(),
              HasSubstr("temporary or hidden file name"));
}

TEST(LocalFolderStoreTest, PutReplacesObjectAndChangesEtag) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  auto first = store->PutBytes("x.csv", "version 1");
  auto second = store->PutBytes("x.csv", "version 2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(first->etag, second->etag);
  auto head = store->Head("x.csv");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, second->etag);
}

TEST(LocalFolderStoreTest, PutFromMissingSourceIsNotFound) {
  TempFolder tmp;
  auto store = OpenStore(tmp / "bucket");
  EXPECT_EQ(store->Put("x.csv", tmp / "missing.csv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Put("x.csv", tmp.path()).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(store->PathOf("x.csv")));
}

TEST(LocalFolderStoreTest, PutOntoFolderFailsAndCleansUp) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  fs::create_directories(store->PathOf("taken"));
  EXPECT_EQ(store->PutBytes("taken", "x").status().code(), StatusCode::kIoError);
  WriteFile(store->PathOf("file"), "x");
  EXPECT_EQ(store->PutBytes("file/below.csv", "x").status().code(), StatusCode::kIoError);
  EXPECT_TRUE(fs::is_empty(store->root() / kStagingFolderName));
}

TEST(LocalFolderStoreTest, ListIsInKeyOrder) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  for (const std::string key : {"b.csv", "a/b.csv", "a.csv", "B.csv", "a/a/z.csv", "é.csv"}) {
    ASSERT_TRUE(store->PutBytes(key, key).ok()) << key;
  }
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  // Byte order, as S3 lists: '.' (0x2e) sorts before '/' (0x2f), capitals before lower case.
  EXPECT_THAT(Keys(*listed),
              ElementsAre("B.csv", "a.csv", "a/a/z.csv", "a/b.csv", "b.csv", "é.csv"));
}

TEST(LocalFolderStoreTest, ListFiltersByPrefix) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  for (const std::string key :
       {"transactions/year=2026/month=11/a.csv", "transactions/year=2026/day.csv",
        "transactions/year=2025/month=01/b.csv", "transactions.csv", "dimensions/p.csv"}) {
    ASSERT_TRUE(store->PutBytes(key, key).ok()) << key;
  }
  auto keys = [&](const std::string& prefix) {
    auto listed = store->List(prefix);
    EXPECT_TRUE(listed.ok()) << prefix << ": " << listed.status().ToString();
    // CountObjects walks the same way without hashing.
    auto counted = store->CountObjects(prefix);
    EXPECT_TRUE(counted.ok() && listed.ok() && *counted == listed->size()) << prefix;
    return listed.ok() ? Keys(*listed) : std::vector<std::string>{};
  };
  EXPECT_THAT(keys("transactions/"),
              ElementsAre("transactions/year=2025/month=01/b.csv", "transactions/year=2026/day.csv",
                          "transactions/year=2026/month=11/a.csv"));
  EXPECT_THAT(keys("transactions/year=2026/mo"),
              ElementsAre("transactions/year=2026/month=11/a.csv"));
  EXPECT_THAT(
      keys("transactions"),
      ElementsAre("transactions.csv", "transactions/year=2025/month=01/b.csv",
                  "transactions/year=2026/day.csv", "transactions/year=2026/month=11/a.csv"));
  EXPECT_THAT(keys("dim"), ElementsAre("dimensions/p.csv"));
  EXPECT_THAT(keys("nothing/here/"), ElementsAre());
  EXPECT_THAT(keys("dimensions/p.csv"), ElementsAre("dimensions/p.csv"));
}

TEST(LocalFolderStoreTest, ListSkipsTemporaryFilesAndStagingFolder) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  for (const std::string rel :
       {"x.csv.part", ".x.csv.swp", "x.csv~", ".#x.csv", "d/y.tmp", "d/.hidden",
        ".ecompipe-tmp/abc.tmp", ".ecompipe-tmp/z.csv", "d/x.crdownload"}) {
    WriteFile(store->root() / rel, "partial");
  }
  WriteFile(store->root() / "d/real.csv", "complete");
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_THAT(Keys(*listed), ElementsAre("d/real.csv"));
  EXPECT_EQ(Count(*store, ""), 1u);
}

TEST(LocalFolderStoreTest, ListSkipsFolderSymlinksAndInvalidNames) {
  TempFolder tmp;
  auto store = OpenStore(tmp / "bucket");
  WriteFile(tmp / "outside/secret.csv", "s");
  fs::create_directory_symlink(tmp / "outside", store->root() / "link");
  WriteFile(store->root() / "bad\nname.csv", "x");
  WriteFile(store->root() / "ok.csv", "x");
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_THAT(Keys(*listed), ElementsAre("ok.csv"));
  EXPECT_EQ(Count(*store, ""), 1u);
}

TEST(LocalFolderStoreTest, ListRejectsInvalidPrefix) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  for (const std::string prefix : {"../", "/abs/", "a//b", "a/../"}) {
    EXPECT_EQ(store->List(prefix).status().code(), StatusCode::kInvalidArgument) << prefix;
    EXPECT_EQ(store->CountObjects(prefix).status().code(), StatusCode::kInvalidArgument) << prefix;
  }
}

TEST(LocalFolderStoreTest, EtagIsMd5OfContent) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  WriteFile(store->PathOf("empty.csv"), "");
  WriteFile(store->PathOf("hello.csv"), "hello");
  auto empty = store->Head("empty.csv");
  auto hello = store->Head("hello.csv");
  ASSERT_TRUE(empty.ok() && hello.ok());
  EXPECT_EQ(empty->etag, kEmptyMd5);
  EXPECT_EQ(empty->size, 0u);
  EXPECT_EQ(hello->etag, kHelloMd5);
  EXPECT_EQ(hello->size, 5u);
  auto put = store->PutBytes("put.csv", "");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(put->etag, kEmptyMd5);
}

TEST(LocalFolderStoreTest, EtagOfLargeFileMatchesStreamingMd5) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  // 3.5 MiB crosses several 1 MiB hashing blocks; compare with the hash Put computes while
  // copying.
  std::string big;
  for (int i = 0; big.size() < (7u << 19); ++i) big += std::to_string(i) + ",";
  WriteFile(tmp / "big.src", big);
  auto put = store->Put("big.csv", tmp / "big.src");
  WriteFile(store->PathOf("direct.csv"), big);
  auto head = store->Head("direct.csv");
  ASSERT_TRUE(put.ok() && head.ok());
  EXPECT_EQ(put->etag, head->etag);
  EXPECT_EQ(head->size, big.size());
}

TEST(LocalFolderStoreTest, EtagChangesWhenContentRewrittenInPlace) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  const fs::path path = store->PathOf("x.csv");
  WriteFile(path, "aaaa");
  auto before = store->Head("x.csv");
  // Same size, same inode, and most likely the same timestamp tick.
  WriteFile(path, "bbbb");
  auto after = store->Head("x.csv");
  ASSERT_TRUE(before.ok() && after.ok());
  EXPECT_NE(before->etag, after->etag);
}

TEST(LocalFolderStoreTest, RecordedS3EtagIsReportedWhileTheContentIsUnchanged) {
  TempFolder tmp;
  const std::string multipart = "0123456789abcdef0123456789abcdef-3";
  auto hello = [](const LocalFolderStore::ChunkSink& sink) { return sink("hello", 5); };
  {
    auto store = OpenStore(tmp.path());
    auto put = store->PutStream("x.csv", hello, multipart);
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    EXPECT_EQ(put->etag, multipart);
  }
  // Persisted: a fresh store (another process) hashes the file and finds it.
  auto store = OpenStore(tmp.path());
  auto head = store->Head("x.csv");
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->etag, multipart);
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].etag, multipart);
  // Content written over the file by hand: its MD5 again.
  WriteFile(store->PathOf("x.csv"), "other");
  EXPECT_NE(store->Head("x.csv")->etag, multipart);
  // The same content put again in one piece: the plain MD5, as S3 gives it.
  ASSERT_TRUE(store->PutStream("x.csv", hello, multipart).ok());
  auto single = store->PutBytes("x.csv", "hello");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->etag, kHelloMd5);
  EXPECT_EQ(OpenStore(tmp.path())->Head("x.csv")->etag, kHelloMd5);
  // Deleted, then put again with the same bytes by hand: nothing recorded survives.
  ASSERT_TRUE(store->PutStream("x.csv", hello, multipart).ok());
  ASSERT_TRUE(store->Delete("x.csv").ok());
  WriteFile(store->PathOf("x.csv"), "hello");
  EXPECT_EQ(OpenStore(tmp.path())->Head("x.csv")->etag, kHelloMd5);
}

TEST(LocalFolderStoreTest, EtagIsCachedByFileIdentity) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  const fs::path path = store->PathOf("x.csv");
  WriteFile(path, "aaaa");
  Age(path);
  const auto mtime = fs::last_write_time(path);
  auto first = store->Head("x.csv");
  ASSERT_TRUE(first.ok());
  // Change the bytes but restore size and mtime: a cache hit returns the old ETag, which
  // proves that unchanged-looking files are not re-hashed.
  WriteFile(path, "bbbb");
  fs::last_write_time(path, mtime);
  auto cached = store->Head("x.csv");
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ(cached->etag, first->etag);
  // A different mtime is a different identity.
  fs::last_write_time(path, mtime + std::chrono::seconds(1));
  auto rehashed = store->Head("x.csv");
  ASSERT_TRUE(rehashed.ok());
  EXPECT_NE(rehashed->etag, first->etag);
}

TEST(LocalFolderStoreTest, HeadOfMissingKeyOrFolderIsNotFound) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  EXPECT_EQ(store->Head("missing.csv").status().code(), StatusCode::kNotFound);
  fs::create_directories(store->PathOf("folder"));
  EXPECT_EQ(store->Head("folder").status().code(), StatusCode::kNotFound);
  WriteFile(store->PathOf("file"), "x");
  EXPECT_EQ(store->Head("file/below").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Head("../x").status().code(), StatusCode::kInvalidArgument);
}

TEST(LocalFolderStoreTest, OpenServesOneByteReads) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  std::string content;
  for (int i = 0; content.size() < 300'000; ++i) content += std::to_string(i * 31) + "\n";
  auto ref = store->PutBytes("x.csv", content);
  ASSERT_TRUE(ref.ok());
  auto stream = store->Open(*ref);
  ASSERT_TRUE(stream.ok());
  auto read = ReadAll(**stream, 1);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(*read, content);
  // And large reads that bypass the block buffer.
  auto stream2 = store->Open(*ref);
  ASSERT_TRUE(stream2.ok());
  auto read2 = ReadAll(**stream2, 4 << 20);
  ASSERT_TRUE(read2.ok());
  EXPECT_EQ(*read2, content);
}

TEST(LocalFolderStoreTest, OpenOfMissingObjectIsNotFound) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  ObjectRef ref;
  ref.key = "gone.csv";
  EXPECT_EQ(store->Open(ref).status().code(), StatusCode::kNotFound);
}

TEST(LocalFolderStoreTest, OpenRejectsObjectOfAnotherBucket) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  auto ref = store->PutBytes("x.csv", "x");
  ASSERT_TRUE(ref.ok());
  ref->bucket = "elsewhere";
  EXPECT_EQ(store->Open(*ref).status().code(), StatusCode::kInvalidArgument);
}

TEST(LocalFolderStoreTest, PathOfJoinsRootAndKey) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  EXPECT_EQ(store->PathOf("a/b.csv"), fs::absolute(tmp.path()) / "a" / "b.csv");
}

TEST(LocalFolderStoreTest, ConcurrentPutsAndListsAgree) {
  TempFolder tmp;
  auto store = OpenStore(tmp.path());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string key = "t" + std::to_string(t) + "/f" + std::to_string(i) + ".csv";
        EXPECT_TRUE(store->PutBytes(key, key).ok());
        EXPECT_TRUE(store->List("t" + std::to_string(t) + "/").ok());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 100u);
}

// Symbolic links: none is ever followed, so nothing outside the bucket folder can be read,
// listed or written through one (regression tests for issue 14 point 1).

// A bucket with "d/real.csv", and an outside folder with a file that must stay out of reach.
struct LinkedBucket {
  TempFolder tmp;
  std::unique_ptr<LocalFolderStore> store;
  fs::path outside;
  LinkedBucket() {
    store = OpenStore(tmp / "bucket");
    outside = tmp / "outside";
    WriteFile(outside / "secret.csv", "secret\n");
    WriteFile(store->root() / "d/real.csv", "real\n");
  }
};

TEST(LocalFolderStoreSymlinkTest, HeadAndOpenRefuseALinkToAFileOutside) {
  LinkedBucket b;
  fs::create_symlink(b.outside / "secret.csv", b.store->root() / "d/passwd.csv");
  auto head = b.store->Head("d/passwd.csv");
  EXPECT_EQ(head.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(head.status().message(), HasSubstr("symbolic link"));
  ObjectRef ref;
  ref.key = "d/passwd.csv";
  EXPECT_EQ(b.store->Open(ref).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.store->OpenObjectFile("d/passwd.csv").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.store->FindLink("d/passwd.csv"), "d/passwd.csv");
}

TEST(LocalFolderStoreSymlinkTest, HeadAndOpenRefuseKeysThroughALinkedFolder) {
  LinkedBucket b;
  fs::create_directory_symlink(b.outside, b.store->root() / "etc");
  EXPECT_EQ(b.store->Head("etc/secret.csv").status().code(), StatusCode::kNotFound);
  ObjectRef ref;
  ref.key = "etc/secret.csv";
  EXPECT_EQ(b.store->Open(ref).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(b.store->FindLink("etc/secret.csv"), "etc");
}

TEST(LocalFolderStoreSymlinkTest, ListSkipsEveryKindOfLink) {
  LinkedBucket b;
  const fs::path root = b.store->root();
  fs::create_symlink(b.outside / "secret.csv", root / "d/file-link.csv");
  fs::create_symlink(root / "d/real.csv", root / "d/inside-link.csv");
  fs::create_symlink(b.outside / "gone.csv", root / "d/dangling.csv");
  fs::create_directory_symlink(b.outside, root / "d/dir-link");
  fs::create_directory_symlink(root / "d", root / "loop");
  for (const std::string prefix : {"", "d/", "d/dir-link/", "loop/", "d/dir-link/sec"}) {
    auto listed = b.store->List(prefix);
    ASSERT_TRUE(listed.ok()) << prefix << ": " << listed.status().ToString();
    EXPECT_EQ(Count(*b.store, prefix), listed->size()) << prefix;
    if (prefix.empty() || prefix == "d/") {
      EXPECT_THAT(Keys(*listed), ElementsAre("d/real.csv")) << prefix;
    } else {
      EXPECT_THAT(Keys(*listed), ElementsAre()) << prefix;
    }
  }
}

TEST(LocalFolderStoreSymlinkTest, PutRefusesALinkedFolderAndWritesNothingOutside) {
  LinkedBucket b;
  fs::create_directory_symlink(b.outside, b.store->root() / "etc");
  auto put = b.store->PutBytes("etc/new.csv", "x");
  EXPECT_EQ(put.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(put.status().message(), HasSubstr("'etc' is a symbolic link"));
  EXPECT_THAT(put.status().message(), Not(HasSubstr(b.tmp.path().string())));
  auto nested = b.store->PutBytes("etc/sub/new.csv", "x");
  EXPECT_EQ(nested.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(b.outside / "new.csv"));
  EXPECT_FALSE(fs::exists(b.outside / "sub"));
  // Nothing staged is left behind either.
  EXPECT_TRUE(fs::is_empty(b.store->root() / kStagingFolderName));
}

TEST(LocalFolderStoreSymlinkTest, PutRefusesAKeyThatIsALinkAndLeavesItsTarget) {
  LinkedBucket b;
  fs::create_symlink(b.outside / "secret.csv", b.store->root() / "d/passwd.csv");
  EXPECT_EQ(b.store->PutBytes("d/passwd.csv", "overwritten").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(b.outside / "secret.csv"), "secret\n");
  EXPECT_TRUE(fs::is_symlink(b.store->root() / "d/passwd.csv"));
}

TEST(LocalFolderStoreSymlinkTest, DeleteRefusesALinkAndKeepsItsTarget) {
  LinkedBucket b;
  fs::create_symlink(b.outside / "secret.csv", b.store->root() / "d/passwd.csv");
  fs::create_directory_symlink(b.outside, b.store->root() / "etc");
  EXPECT_EQ(b.store->Delete("d/passwd.csv").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b.store->Delete("etc/secret.csv").code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::is_symlink(b.store->root() / "d/passwd.csv"));
  EXPECT_EQ(ReadFile(b.outside / "secret.csv"), "secret\n");
}

TEST(LocalFolderStoreSymlinkTest, StagingFolderReplacedByALinkIsNeverWrittenThrough) {
  LinkedBucket b;
  const fs::path staging = b.store->root() / kStagingFolderName;
  fs::remove_all(staging);
  fs::create_directory_symlink(b.outside, staging);
  auto put = b.store->PutBytes("d/new.csv", "x");
  EXPECT_FALSE(put.ok());
  EXPECT_EQ(std::distance(fs::directory_iterator(b.outside), fs::directory_iterator()), 1);
  // Opening a bucket whose staging folder is a link fails, naming it.
  auto reopened = LocalFolderStore::Open(b.store->root(), "landing");
  EXPECT_FALSE(reopened.ok());
  EXPECT_THAT(reopened.status().message(), HasSubstr("symbolic link"));
}

TEST(LocalFolderStoreSymlinkTest, SubfolderReplacedByALinkAfterOpen) {
  LinkedBucket b;
  fs::remove_all(b.store->root() / "d");
  fs::create_directory_symlink(b.outside, b.store->root() / "d");
  auto listed = b.store->List("");
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(Keys(*listed), ElementsAre());
  EXPECT_EQ(b.store->Head("d/secret.csv").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(b.store->PutBytes("d/real.csv", "x").ok());
  EXPECT_FALSE(fs::exists(b.outside / "real.csv"));
}

TEST(LocalFolderStoreSymlinkTest, RootGivenAsALinkWorks) {
  TempFolder tmp;
  fs::create_directories(tmp / "real-bucket");
  fs::create_directory_symlink(tmp / "real-bucket", tmp / "bucket");
  auto store = OpenStore(tmp / "bucket");
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->PutBytes("d/x.csv", "x").ok());
  EXPECT_EQ(ReadFile(tmp / "real-bucket/d/x.csv"), "x");
  auto listed = store->List("");
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(Keys(*listed), ElementsAre("d/x.csv"));
  EXPECT_TRUE(store->Head("d/x.csv").ok());
  EXPECT_TRUE(store->Delete("d/x.csv").ok());
}

// Not a link: a hard link is another name of the same file, which the store cannot tell
// from any other file. It is served as the file it is (documented in docs/s3.md).
TEST(LocalFolderStoreSymlinkTest, HardLinkIsAFile) {
  LinkedBucket b;
  std::error_code ec;
  fs::create_hard_link(b.outside / "secret.csv", b.store->root() / "d/hard.csv", ec);
  if (ec) GTEST_SKIP() << "no hard links here: " << ec.message();
  auto head = b.store->Head("d/hard.csv");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 7u);
}

}  // namespace
}  // namespace ecompipe::storage
