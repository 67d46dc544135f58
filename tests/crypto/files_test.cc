#include "base/files.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace latchkey::crypto {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "latchkey-files-XXXXXX");
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static mode_t ModeOf(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  size_t EntriesInDir() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_),
                                             std::filesystem::directory_iterator()));
  }

  std::string dir_;
};

TEST_F(FilesTest, WritePrivateFileCreatesMode0600EvenWithPermissiveUmask) {
  const mode_t old_umask = ::umask(0);
  Status written = WritePrivateFile(dir_ + "/key.pem", "secret");
  ::umask(old_umask);

  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(ModeOf(dir_ + "/key.pem"), 0600u);
  EXPECT_EQ(ReadFile(dir_ + "/key.pem").value_or(""), "secret");
}

TEST_F(FilesTest, WritePrivateFileReplacesExistingFileAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/key.pem", "old", 0644).has_value());

  Status written = WritePrivateFile(dir_ + "/key.pem", "new");

  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(ReadFile(dir_ + "/key.pem").value_or(""), "new");
  EXPECT_EQ(ModeOf(dir_ + "/key.pem"), 0600u);
  EXPECT_EQ(EntriesInDir(), 1u);
}

TEST_F(FilesTest, WriteFileAtomicAppliesMode) {
  Status written = WriteFileAtomic(dir_ + "/config.toml", "a = 1\n", 0644);

  ASSERT_TRUE(written.has_value());
  EXPECT_EQ(ModeOf(dir_ + "/config.toml"), 0644u);
}

TEST_F(FilesTest, WriteIntoMissingDirectoryIsNotFound) {
  Status written = WritePrivateFile(dir_ + "/missing/key.pem", "secret");

  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().code, ErrorCode::kNotFound);
}

TEST_F(FilesTest, ReadMissingFileIsNotFound) {
  Result<std::string> content = ReadFile(dir_ + "/missing");

  ASSERT_FALSE(content.has_value());
  EXPECT_EQ(content.error().code, ErrorCode::kNotFound);
}

TEST_F(FilesTest, ReadDirectoryIsInvalidArgument) {
  Result<std::string> content = ReadFile(dir_);

  ASSERT_FALSE(content.has_value());
  EXPECT_EQ(content.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(FilesTest, ErrorMessageNeverContainsContent) {
  Status written = WritePrivateFile(dir_ + "/missing/key.pem", "super-secret-value");

  ASSERT_FALSE(written.has_value());
  EXPECT_EQ(written.error().message.find("super-secret-value"), std::string::npos);
}

}  // namespace
}  // namespace latchkey::crypto
