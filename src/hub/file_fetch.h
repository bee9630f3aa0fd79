// Downloads one repository file into the cache the way hf_hub_download does: HEAD the resolve URL
// for its commit, ETag (the LFS sha256 or git sha1) and size; under the blob's lock, stream it to
// blobs/<etag>.incomplete (resuming with HTTP Range after a dropped connection or an earlier
// interrupted run), verify the sha256 of LFS files, rename into blobs/ and link the snapshot entry.
#pragma once
#include <string>

#include "hub/http_client.h"
#include "hub/repo_request.h"

namespace ft::hub {

// Makes snapshots/<commit>/<filename> present and returns the commit: `revision` itself when it is
// a commit hash, else the X-Repo-Commit the Hub names. Throws ft::Error on Hub errors, on a
// transfer that keeps failing, and on a sha256 mismatch (the partial file is removed).
std::string fetch_file(const RepoRequest& request, const HttpClient& client, const RepoCache& cache,
                       const std::string& revision, const std::string& filename, bool show_progress);

}  // namespace ft::hub
