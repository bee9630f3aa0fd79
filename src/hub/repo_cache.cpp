#include "hub/repo_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>

#include "core/error.h"

namespace ft::hub {
namespace fs = std::filesystem;
namespace {

// A name unique to this process and call, for write-then-rename. The counter is atomic: threads
// resolving the same repository at once drew equal numbers from a plain int and collided.
fs::path temp_sibling(const fs::path& target) {
  static std::atomic<uint64_t> counter{0};
  return target.parent_path() / ("." + target.filename().string() + ".tmp" + std::to_string(getpid()) + "." +
                                 std::to_string(counter.fetch_add(1) + 1));
}

void create_dirs(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail_usage(dir.string() + ": cannot create the Hub cache directory (" + ec.message() +
                     "); set HF_HOME or HF_HUB_CACHE to a writable directory");
}

}  // namespace

const char* repo_type_name(RepoType type) { return type == RepoType::kModel ? "model" : "dataset"; }

bool looks_like_repo_id(const std::string& id) {
  static const std::regex pattern(R"(^([\w\-.]+/)?[\w\-.]+$)");
  return !id.empty() && id.size() <= 96 && std::regex_match(id, pattern) && id.find("--") == std::string::npos &&
         id.find("..") == std::string::npos && id.front() != '.' && id.front() != '-' &&
         id.back() != '.' && id.back() != '-';
}

bool is_commit_hash(const std::string& revision) {
  static const std::regex pattern("^[0-9a-f]{40}$");
  return std::regex_match(revision, pattern);
}

RepoCache::RepoCache(const fs::path& cache_dir, RepoType type, const std::string& repo_id)
    : cache_dir_(cache_dir) {
  folder_ = std::string(type == RepoType::kModel ? "models" : "datasets") + "--";
  for (char c : repo_id) folder_ += c == '/' ? std::string("--") : std::string(1, c);
  repo_dir_ = cache_dir_ / folder_;
}

std::optional<std::string> RepoCache::cached_commit(const std::string& revision) const {
  if (is_commit_hash(revision)) return revision;
  std::ifstream in(repo_dir_ / "refs" / revision);
  std::string commit;
  if (in && std::getline(in, commit) && is_commit_hash(commit)) return commit;
  return std::nullopt;
}

void RepoCache::write_ref(const std::string& revision, const std::string& commit) const {
  if (revision == commit) return;  // commits need no ref, as in huggingface_hub
  const fs::path ref = repo_dir_ / "refs" / revision;  // "refs/pr/1" nests, like the Python cache
  create_dirs(ref.parent_path());
  const fs::path temp = temp_sibling(ref);
  std::ofstream(temp, std::ios::binary) << commit;
  fs::rename(temp, ref);
}

fs::path RepoCache::snapshot_dir(const std::string& commit) const { return repo_dir_ / "snapshots" / commit; }

fs::path RepoCache::blob_path(const std::string& etag) const { return repo_dir_ / "blobs" / etag; }

fs::path RepoCache::lock_path(const std::string& etag) const {
  return cache_dir_ / ".locks" / folder_ / (etag + ".lock");
}

void RepoCache::link_snapshot_file(const std::string& commit, const std::string& filename,
                                   const std::string& etag) const {
  const fs::path pointer = snapshot_dir(commit) / filename;
  create_dirs(pointer.parent_path());
  const fs::path target = fs::relative(blob_path(etag), pointer.parent_path());
  const fs::path temp = temp_sibling(pointer);
  fs::create_symlink(target, temp);
  fs::rename(temp, pointer);  // atomic even when another process linked it first
}

FileLock::FileLock(const fs::path& path) {
  create_dirs(path.parent_path());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0664);
  if (fd_ < 0) fail_usage(path.string() + ": cannot open the Hub cache lock file (" + std::strerror(errno) + ")");
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    ::close(fd_);
    fail_usage(path.string() + ": cannot lock the Hub cache (" + std::strerror(err) + ")");
  }
}

FileLock::~FileLock() {
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
}

}  // namespace ft::hub
