// The data directory holds every agency's task data: d06d creates it readable by its owner
// only (0700, files 0600) whatever the umask, and leaves the mode of one it did not create.
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "tests/testing/test_server.h"

namespace d06::testing {
namespace {

namespace fs = std::filesystem;

// Sets the process umask for the scope.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(umask(mask)) {}
  ~ScopedUmask() { umask(old_); }

 private:
  mode_t old_;
};

// Starts a server on `dir` (gRPC on any port, no HTTP) and shuts it down.
void StartAndStop(const fs::path& dir) {
  ServerOptions options;
  options.auth = AuthMode::kOff;  // these tests name their actor (x-d06-actor)
  options.listen_address = "127.0.0.1:0";
  options.http_listen_address = "";
  options.data_dir = dir.string();
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->Shutdown();
}

TEST(DataDirTest, CreatedOwnerOnlyWhateverTheUmask) {
  TempDir parent("d06-data-dir");
  const fs::path dir = fs::path(parent.path()) / "var" / "d06";
  {
    ScopedUmask open_umask(0);  // the most permissive umask there is
    ASSERT_NO_FATAL_FAILURE(StartAndStop(dir));
  }
  EXPECT_EQ(fs::status(dir).permissions(), fs::perms::owner_all);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    SCOPED_TRACE(entry.path().string());
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(entry.status().permissions(), fs::perms::owner_read | fs::perms::owner_write);
    } else if (entry.is_directory()) {
      EXPECT_EQ(entry.status().permissions(), fs::perms::owner_all);
    }
  }
  EXPECT_GT(files, 3);  // CURRENT, MANIFEST, OPTIONS, tables, ...
}

TEST(DataDirTest, AnExistingDirectoryIsUsedAsItIs) {
  TempDir parent("d06-data-dir");
  const fs::path dir = fs::path(parent.path()) / "shared";
  fs::create_directory(dir);
  fs::permissions(dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  ASSERT_NO_FATAL_FAILURE(StartAndStop(dir));
  // Its mode is the operator's choice (d06d warns); the files are still 0600.
  EXPECT_EQ(fs::status(dir).permissions(),
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
  EXPECT_EQ(fs::status(dir / "CURRENT").permissions(),
            fs::perms::owner_read | fs::perms::owner_write);
}

}  // namespace
}  // namespace d06::testing
