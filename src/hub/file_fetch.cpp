#include "hub/file_fetch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <regex>

#include "core/error.h"
#include "core/sha256.h"
#include "hub/download_progress.h"

namespace ft::hub {
namespace fs = std::filesystem;
namespace {

constexpr int kAttempts = 5;  // a dropped connection resumes where it stopped, this many times

struct FileMetadata {
  std::string commit;  // X-Repo-Commit
  std::string etag;
  int64_t size = -1;
  std::string location;  // where the bytes are: the resolve URL or the CDN it redirects to
};

// ETags arrive quoted and maybe weak (W/"..."); the cache names blobs by the bare value.
std::string normalize_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag.erase(0, 2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool is_sha256(const std::string& etag) {
  static const std::regex pattern("^[0-9a-f]{64}$");
  return std::regex_match(etag, pattern);
}

int64_t parse_size(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoll(text);
}

FileMetadata file_metadata(const RepoRequest& request, const HttpClient& client, const std::string& commit,
                           const std::string& filename) {
  const HttpResponse head = client.head(request.resolve_url(commit, filename));
  const bool redirect = head.status >= 300 && head.status < 400 && !head.header("location").empty();
  if (!head.ok() && !(redirect && head.transport_error.empty())) fail_hub_response(request, head, filename);
  FileMetadata meta;
  meta.commit = head.header("x-repo-commit");
  const std::string linked = head.header("x-linked-etag");
  meta.etag = normalize_etag(linked.empty() ? head.header("etag") : linked);
  const std::string linked_size = head.header("x-linked-size");
  meta.size = parse_size(linked_size.empty() ? head.header("content-length") : linked_size);
  meta.location = redirect ? url_join(head.url, head.header("location")) : head.url;
  static const std::regex safe_etag("^[0-9A-Za-z_-][0-9A-Za-z_.-]*$");  // it becomes a file name
  if (!std::regex_match(meta.etag, safe_etag))
    fail_usage(request.id + " (" + filename + "): the server at " + request.env.endpoint +
               " sent no usable ETag; is HF_ENDPOINT a Hugging Face Hub?");
  return meta;
}

// Appends the remote bytes to `partial`, resuming after drops; throws unless all arrived.
void download_partial(const RepoRequest& request, const HttpClient& client, const FileMetadata& meta,
                      const fs::path& partial, const std::string& filename, bool show_progress) {
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) fail_usage(partial.string() + ": cannot write to the Hub cache (" + std::strerror(errno) + ")");
  int64_t have = int64_t(fs::file_size(partial));
  DownloadProgress progress(filename, meta.size, have, show_progress);
  std::string write_error;
  const BodySink sink = [&](int64_t position, const char* data, size_t size) {
    if (position != have && ::ftruncate(fd, position) != 0) return false;  // the server restarted at 0
    if (::pwrite(fd, data, size, position) != ssize_t(size)) {
      write_error = std::strerror(errno);
      return false;
    }
    have = position + int64_t(size);
    progress.update(have);
    return true;
  };
  HttpResponse response;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    if (meta.size >= 0 && have == meta.size) break;
    response = client.get(meta.location, sink, have);
    if (!write_error.empty()) break;
    if (response.status == 416 && have > 0) {  // what we hold is not a prefix the server knows
      have = 0;
      if (::ftruncate(fd, 0) != 0) break;
      continue;
    }
    if (response.transport_error.empty() && !response.ok()) break;  // an HTTP error will not heal
    if (response.ok() && meta.size < 0) break;
  }
  ::close(fd);
  if (!write_error.empty()) fail_usage(partial.string() + ": cannot write to the Hub cache (" + write_error + ")");
  if (meta.size >= 0 ? have == meta.size : response.ok()) {
    progress.finish(have);
    return;
  }
  fail_hub_response(request, response, filename);
}

}  // namespace

std::string fetch_file(const RepoRequest& request, const HttpClient& client, const RepoCache& cache,
                       const std::string& revision, const std::string& filename, bool show_progress) {
  const FileMetadata meta = file_metadata(request, client, revision, filename);
  const std::string commit = is_commit_hash(revision) ? revision : meta.commit;
  if (!is_commit_hash(commit))
    fail_usage(request.id + " (" + filename + "): the server at " + request.env.endpoint +
               " sent no X-Repo-Commit; is HF_ENDPOINT a Hugging Face Hub?");
  const fs::path blob = cache.blob_path(meta.etag);
  if (!fs::exists(blob)) {
    fs::create_directories(blob.parent_path());
    const FileLock lock(cache.lock_path(meta.etag));  // another process may be downloading it
    if (!fs::exists(blob)) {
      const fs::path partial = blob.string() + ".incomplete";
      download_partial(request, client, meta, partial, filename, show_progress);
      if (is_sha256(meta.etag)) {
        const std::string actual = sha256_file_hex(partial.string());
        if (actual != meta.etag) {
          fs::remove(partial);
          fail_input(filename, "downloaded from " + request.id + " has sha256 " + actual + " but the Hub says " +
                                   meta.etag + "; the transfer was corrupted, run again");
        }
      }
      fs::rename(partial, blob);
    }
  }
  cache.link_snapshot_file(commit, filename, meta.etag);
  return commit;
}

}  // namespace ft::hub
