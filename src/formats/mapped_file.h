// A read-only memory map of a whole file. Missing or unreadable files are ft::Error (exit code 2)
// naming the path; no address space left for it is exit code 1 (the process's limit, not the file);
// an empty file maps to an empty span. Pages are shared with the page cache, so
// several processes loading the same model cost one copy of RAM.
#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace ft {

class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::span<const std::byte> bytes() const { return {data_, size_}; }
  const std::string& path() const { return path_; }
  // Drops the whole pages of `range` (inside this mapping; anything else is ignored) from the
  // process's resident set. They stay in the page cache and fault back in if read again.
  void release(std::span<const std::byte> range) const;

 private:
  std::string path_;
  const std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ft
