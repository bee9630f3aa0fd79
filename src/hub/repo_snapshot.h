// A repository at one revision, as files in the cache's snapshots/<commit>/ directory. Online it
// is listed through the Hub API (/api/{models,datasets}/{id}/revision/{rev}: commit sha and file
// names) and files are fetched on demand; offline (HF_HUB_OFFLINE=1, or the Hub unreachable while
// the cache already knows the revision) the cached snapshot is all there is, and a missing file is
// an error naming it.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "hub/http_client.h"
#include "hub/repo_request.h"

namespace ft::hub {

class RepoSnapshot {
 public:
  RepoSnapshot(RepoRequest request, bool show_progress);

  const std::vector<std::string>& files() const { return files_; }  // paths inside the repository
  bool offline() const { return offline_; }
  // Makes each file present in the snapshot, downloading the missing ones.
  void fetch(const std::vector<std::string>& names);
  std::filesystem::path dir() const { return cache_.snapshot_dir(commit_); }
  // Records refs/<revision> -> commit once every needed file is in place.
  void finish() const;

 private:
  void list_online(const HttpResponse& info);
  void open_offline(const std::string& reason);

  RepoRequest request_;
  RepoCache cache_;
  HttpClient client_;
  bool show_progress_;
  bool offline_ = false;
  std::string commit_;
  std::vector<std::string> files_;
};

}  // namespace ft::hub
