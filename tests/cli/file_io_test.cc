#include "cli/file_io.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "fakes.h"

namespace latchkey::cli {
namespace {

using testing::TempDir;

unsigned Mode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(FileIoTest, NewFileHasMode0600) {
  TempDir dir;
  const std::string path = dir.path() + "/cfg";

  ASSERT_TRUE(WriteFileAtomically(path, "x\n").has_value());

  EXPECT_EQ(Mode(path), 0600u);
  EXPECT_EQ(ReadFileIfExists(path)->value(), "x\n");
}

TEST(FileIoTest, ExistingFileKeepsItsMode) {
  TempDir dir;
  const std::string path = dir.path() + "/cfg";
  std::ofstream(path) << "old";
  ::chmod(path.c_str(), 0640);

  ASSERT_TRUE(WriteFileAtomically(path, "new").has_value());

  EXPECT_EQ(Mode(path), 0640u);
  EXPECT_EQ(ReadFileIfExists(path)->value(), "new");
}

TEST(FileIoTest, SymlinkIsFollowedNotReplaced) {
  TempDir dir;
  const std::string target = dir.path() + "/real";
  const std::string link = dir.path() + "/link";
  std::ofstream(target) << "old";
  std::filesystem::create_symlink(target, link);

  ASSERT_TRUE(WriteFileAtomically(link, "new").has_value());

  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(ReadFileIfExists(target)->value(), "new");
}

TEST(FileIoTest, MissingFileReadsAsNullopt) {
  TempDir dir;

  EXPECT_EQ(ReadFileIfExists(dir.path() + "/none").value(), std::nullopt);
}

TEST(FileIoTest, MakePrivateDirectoryCreatesParentsWith0700) {
  TempDir dir;

  ASSERT_TRUE(MakePrivateDirectory(dir.path() + "/a/b").has_value());

  EXPECT_EQ(Mode(dir.path() + "/a"), 0700u);
  EXPECT_EQ(Mode(dir.path() + "/a/b"), 0700u);
}

}  // namespace
}  // namespace latchkey::cli
