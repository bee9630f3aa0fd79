// One repository's corner of the huggingface_hub cache, laid out exactly as the Python library
// lays it out so either can reuse what the other downloaded:
//   <cache>/models--org--name/refs/<revision>        the commit a branch or tag pointed to
//   <cache>/models--org--name/blobs/<etag>           file contents, named by git sha1 or LFS sha256
//   <cache>/models--org--name/snapshots/<commit>/<f> relative symlinks into blobs
//   <cache>/.locks/models--org--name/<etag>.lock     held while a blob is downloaded
// (datasets use the datasets--org--name prefix). Writes are atomic (temp + rename).
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace ft::hub {

enum class RepoType { kModel, kDataset };

const char* repo_type_name(RepoType type);  // "model" / "dataset"

// Checks a Hub repository id (name or org/name, as huggingface_hub's validate_repo_id does).
bool looks_like_repo_id(const std::string& id);

bool is_commit_hash(const std::string& revision);  // 40 lower-case hex digits

class RepoCache {
 public:
  RepoCache(const std::filesystem::path& cache_dir, RepoType type, const std::string& repo_id);

  const std::filesystem::path& repo_dir() const { return repo_dir_; }
  // The commit for `revision`: itself when it is a commit hash, else what refs/<revision> says.
  std::optional<std::string> cached_commit(const std::string& revision) const;
  void write_ref(const std::string& revision, const std::string& commit) const;

  std::filesystem::path snapshot_dir(const std::string& commit) const;
  std::filesystem::path blob_path(const std::string& etag) const;
  std::filesystem::path lock_path(const std::string& etag) const;
  // Points snapshots/<commit>/<filename> at blobs/<etag> with a relative symlink.
  void link_snapshot_file(const std::string& commit, const std::string& filename, const std::string& etag) const;

 private:
  std::filesystem::path cache_dir_;
  std::string folder_;  // models--org--name
  std::filesystem::path repo_dir_;
};

// An exclusive flock(2) on a lock file, held for the object's lifetime. Waits for other holders.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& path);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace ft::hub
