#include "hub/repo_snapshot.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "hub/file_fetch.h"
#include "hub/file_selection.h"

namespace ft::hub {
namespace fs = std::filesystem;

RepoSnapshot::RepoSnapshot(RepoRequest request, bool show_progress)
    : request_(std::move(request)),
      cache_(request_.env.cache_dir, request_.type, request_.id),
      client_(request_.env.endpoint, request_.env.token),
      show_progress_(show_progress) {
  if (request_.env.offline) {
    open_offline("offline mode (HF_HUB_OFFLINE=1)");
    return;
  }
  const HttpResponse info = client_.get(request_.info_url());
  if (!info.transport_error.empty() && cache_.cached_commit(request_.revision) &&
      fs::is_directory(cache_.snapshot_dir(*cache_.cached_commit(request_.revision)))) {
    if (show_progress_)
      std::fprintf(stderr, "%s: cannot reach %s (%s); using the cached snapshot\n", request_.id.c_str(),
                   request_.env.endpoint.c_str(), info.transport_error.c_str());
    open_offline("the Hub is unreachable");
    return;
  }
  if (!info.ok()) fail_hub_response(request_, info, "");
  list_online(info);
}

void RepoSnapshot::list_online(const HttpResponse& info) {
  const auto bad_answer = [&](const std::string& why) {
    fail_usage(request_.id + ": the answer of " + info.url + " is not a Hub repository listing (" + why +
               "); is HF_ENDPOINT a Hugging Face Hub?");
  };
  const nlohmann::json listing = nlohmann::json::parse(info.body, nullptr, /*allow_exceptions=*/false);
  if (!listing.is_object() || !listing.contains("siblings") || !listing["siblings"].is_array())
    bad_answer("no siblings list");
  if (listing.contains("sha") && listing["sha"].is_string()) commit_ = listing["sha"].get<std::string>();
  if (!commit_.empty() && !is_commit_hash(commit_)) bad_answer("sha is not a commit hash");
  for (const auto& sibling : listing["siblings"]) {
    if (!sibling.is_object() || !sibling.contains("rfilename") || !sibling["rfilename"].is_string())
      bad_answer("a sibling without rfilename");
    files_.push_back(sibling["rfilename"].get<std::string>());
  }
}

void RepoSnapshot::open_offline(const std::string& reason) {
  offline_ = true;
  const auto commit = cache_.cached_commit(request_.revision);
  if (!commit || !fs::is_directory(cache_.snapshot_dir(*commit)))
    fail_usage(request_.id + ": " + reason + " and the Hub cache " + request_.env.cache_dir.string() +
               " has no snapshot of revision '" + request_.revision + "'; run once with network access " +
               "(or point HF_HOME/HF_HUB_CACHE at a cache that has it)");
  commit_ = *commit;
  files_ = files_under(cache_.snapshot_dir(commit_));
}

void RepoSnapshot::fetch(const std::vector<std::string>& names) {
  for (const auto& name : names) {
    const fs::path path(name);
    if (name.empty() || path.is_absolute() || std::find(path.begin(), path.end(), "..") != path.end())
      fail_usage(request_.id + ": the Hub listed a file outside the repository: " + name);
    if (!commit_.empty() && fs::is_regular_file(dir() / name)) continue;
    if (offline_)
      fail_usage(request_.id + ": offline, and the cached snapshot " + dir().string() + " lacks " + name +
                 "; run once with network access");
    commit_ = fetch_file(request_, client_, cache_, commit_.empty() ? request_.revision : commit_, name,
                         show_progress_);
  }
}

void RepoSnapshot::finish() const {
  if (!offline_ && !commit_.empty()) cache_.write_ref(request_.revision, commit_);
}

}  // namespace ft::hub
