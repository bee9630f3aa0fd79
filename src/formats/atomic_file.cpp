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

// The temp file is removed unless the rename succeeded.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

void write_all(int fd, std::span<const std::byte> bytes, const std::string& path) {
  const auto* p = reinterpret_cast<const char*>(bytes.data());
  size_t n = bytes.size();
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail_write(path, "write");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

void write_file_atomic(const std::string& path, std::span<const std::span<const std::byte>> pieces) {
  const std::filesystem::path final_path(path);
  const std::filesystem::path dir = final_path.has_parent_path() ? final_path.parent_path() : ".";
  TempFile tmp{(dir / ("." + final_path.filename().string() + ".tmp" + std::to_string(::getpid()))).string()};
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (tmp.fd < 0) fail_write(path, "create " + tmp.path);
  for (const auto& piece : pieces) write_all(tmp.fd, piece, path);
  if (::fsync(tmp.fd) != 0) fail_write(path, "fsync");
  const int fd = tmp.fd;
  tmp.fd = -1;
  if (::close(fd) != 0) fail_write(path, "close");
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail_write(path, "rename");
  tmp.committed = true;
  // Persist the rename itself; failure here is harmless for correctness, so it is not an error.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void write_file_atomic(const std::string& path, std::string_view content) {
  const std::span<const std::byte> piece = std::as_bytes(std::span(content.data(), content.size()));
  write_file_atomic(path, std::span(&piece, 1));
}

void copy_file_atomic(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) fail_input(from, "cannot read");
  std::stringstream text;
  text << in.rdbuf();
  write_file_atomic(to, text.str());
}

void append_line(const std::string& path, std::string_view line) {
  struct OpenFile {  // closed on an error; closed and checked at the end
    int fd;
    ~OpenFile() {
      if (fd >= 0) ::close(fd);
    }
  } file{::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644)};
  if (file.fd < 0) fail_write(path, "open");
  const int fd = file.fd;
  std::string text;
  const off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size > 0 && ::pread(fd, &last, 1, size - 1) != 1) fail_write(path, "read its end");
  if (last != '\n') text += '\n';
  text.append(line);
  text += '\n';
  write_all(fd, std::as_bytes(std::span(text.data(), text.size())), path);
  file.fd = -1;
  if (::close(fd) != 0) fail_write(path, "close");  // NFS reports a full disk or quota here
}

}  // namespace ft
