// A fresh directory under the system's temp directory, removed with everything in it
// when the object goes. Declare it before what writes into it (a Store), so that is
// closed first.
#ifndef D06_TESTS_TESTING_TEMP_DIR_H_
#define D06_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace d06::testing {

class TempDir {
 public:
  // `name` prefixes the directory's name, e.g. "d06-store-test".
  explicit TempDir(const std::string& name) {
    std::string tmpl = (std::filesystem::temp_directory_path() / (name + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace d06::testing

#endif  // D06_TESTS_TESTING_TEMP_DIR_H_
