// write_safetensors: the header is compact JSON ("__metadata__" first, then tensors with
// dtype/shape/data_offsets, as the reference writer emits), padded with spaces to a multiple of 8
// so the data section starts aligned. Written to a temp file in the destination directory,
// fsync'ed and renamed, so a crash never leaves a half-written file under the final name.
#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "formats/safetensors.h"

namespace ft {

namespace {

[[noreturn]] void fail_write(const std::string& path, const std::string& what) {
  const int err = errno;
  throw Error(kExitUsage, path + ": cannot write (" + what + ": " + std::strerror(err) +
                              "); check the output directory and free disk space");
}

void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const auto* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) fail_write(path, "write");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

// Removes the temp file unless the rename succeeded.
struct TempFile {
  std::string path;
  int fd = -1;
  bool committed = false;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!committed) ::unlink(path.c_str());
  }
};

uint64_t element_count(const TensorToWrite& t) {
  uint64_t n = 1;
  for (int64_t d : t.shape) {
    if (d < 0) throw std::invalid_argument("write_safetensors: negative dimension in " + t.name);
    n *= static_cast<uint64_t>(d);
  }
  return n;
}

}  // namespace

void write_safetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  // Wider dtypes first (stable otherwise) keeps every tensor naturally aligned in the file, which
  // zero-copy readers such as torch rely on.
  std::vector<const TensorToWrite*> order;
  for (const auto& t : tensors) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const TensorToWrite* a, const TensorToWrite* b) {
    return dtype_size(a->dtype) > dtype_size(b->dtype);
  });

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const TensorToWrite* t : order) {
    if (t->name == "__metadata__" || !seen.insert(t->name).second)
      throw std::invalid_argument("write_safetensors: duplicate or reserved tensor name " + t->name);
    const uint64_t nbytes = element_count(*t) * dtype_size(t->dtype);
    if (nbytes != t->bytes.size())
      throw std::invalid_argument("write_safetensors: " + t->name + " has " +
                                  std::to_string(t->bytes.size()) + " bytes, shape needs " +
                                  std::to_string(nbytes));
    header[t->name] = {{"dtype", std::string(dtype_name(t->dtype))},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + nbytes}}};
    offset += nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  unsigned char length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<unsigned char>(static_cast<uint64_t>(text.size()) >> (8 * i));

  const std::filesystem::path final_path(path);
  const std::filesystem::path dir = final_path.has_parent_path() ? final_path.parent_path() : ".";
  TempFile tmp{(dir / ("." + final_path.filename().string() + ".tmp" + std::to_string(::getpid())))
                   .string()};
  tmp.fd = ::open(tmp.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (tmp.fd < 0) fail_write(path, "create " + tmp.path);
  write_all(tmp.fd, length, sizeof length, path);
  write_all(tmp.fd, text.data(), text.size(), path);
  for (const TensorToWrite* t : order) write_all(tmp.fd, t->bytes.data(), t->bytes.size(), path);
  if (::fsync(tmp.fd) != 0) fail_write(path, "fsync");
  if (::close(tmp.fd) != 0) {
    tmp.fd = -1;
    fail_write(path, "close");
  }
  tmp.fd = -1;
  if (::rename(tmp.path.c_str(), path.c_str()) != 0) fail_write(path, "rename");
  tmp.committed = true;
  // Persist the rename itself; failure here is harmless for correctness, so it is not an error.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace ft
