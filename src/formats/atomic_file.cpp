#include "formats/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ft {
namespace {

[[noreturn]] void fail_write(const std::string& path, const std::string& what) {
  const int err = errno;
  throw Error(kExitUsage, path + ": cannot write (" + what + ": " + std::strerror(err) +
                              "); check the output directory and free disk space");
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view content) {
  const std::filesystem::path final_path(path);
  const std::filesystem::path dir = final_path.has_parent_path() ? final_path.parent_path() : ".";
  const std::string tmp =
      (dir / ("." + final_path.filename().string() + ".tmp" + std::to_string(::getpid()))).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail_write(path, "create " + tmp);
  const char* p = content.data();
  size_t left = content.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      fail_write(path, "write");
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  const bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) {
    ::unlink(tmp.c_str());
    fail_write(path, "fsync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail_write(path, "rename");
  }
}

void copy_file_atomic(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail_input(from, "cannot read");
  std::stringstream text;
  text << in.rdbuf();
  write_file_atomic(to, text.str());
}

}  // namespace ft
