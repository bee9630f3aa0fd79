#include "hub/hub.h"

#include <filesystem>

#include "core/error.h"
#include "hub/file_selection.h"
#include "hub/repo_snapshot.h"

namespace ft::hub {
namespace fs = std::filesystem;
namespace {

// A name that is clearly meant as a local path is never sent to the Hub.
bool looks_like_path(const std::string& name) {
  return name.empty() || name.front() == '/' || name.front() == '.' || name.front() == '~' ||
         !looks_like_repo_id(name);
}

RepoRequest make_request(RepoType type, const std::string& id, const HubOptions& options) {
  const std::string rev = options.revision.empty() ? std::string("main") : options.revision;
  if (rev.find("..") != std::string::npos || rev.front() == '/' || rev.back() == '/')
    fail_usage(id + ": revision '" + rev + "' is not a branch, tag or commit name");
  return {type, id, rev, HubEnv::from_environment()};
}

// Offline, a repository that seems to lack a file has only an incomplete cached snapshot.
template <class Select>
auto select_files(const RepoSnapshot& snapshot, Select select) {
  try {
    return select(snapshot.files());
  } catch (const Error& e) {
    if (!snapshot.offline()) throw;
    throw Error(e.exit_code(), std::string(e.what()) + " (offline: the cached snapshot " + snapshot.dir().string() +
                                   " is incomplete; run once with network access)");
  }
}

}  // namespace

std::string resolve_model(const std::string& name_or_path, const HubOptions& options) {
  if (fs::is_directory(name_or_path)) return name_or_path;
  if (looks_like_path(name_or_path) || fs::exists(name_or_path))
    fail_input(name_or_path, "not a directory, nor a Hugging Face Hub model id (org/name); give a local "
                             "model directory or a Hub id");
  RepoSnapshot snapshot(make_request(RepoType::kModel, name_or_path, options), options.show_progress);
  snapshot.fetch(select_files(snapshot, [&](const auto& files) { return model_files_to_fetch(name_or_path, files); }));
  const fs::path index = snapshot.dir() / kSafetensorsIndex;
  if (fs::exists(index)) snapshot.fetch(shards_in_index(index));
  snapshot.finish();
  return snapshot.dir().string();
}

std::string resolve_dataset_file(const std::string& dataset_name, const std::string& split,
                                 const HubOptions& options) {
  if (fs::is_regular_file(dataset_name)) return dataset_name;
  if (fs::is_directory(dataset_name))
    return (fs::path(dataset_name) / choose_data_file(dataset_name, files_under(dataset_name), split)).string();
  if (looks_like_path(dataset_name))
    fail_input(dataset_name, "not a data file or directory, nor a Hugging Face Hub dataset id (org/name); "
                             "give --train_file or a Hub dataset id");
  RepoSnapshot snapshot(make_request(RepoType::kDataset, dataset_name, options), options.show_progress);
  const std::string file =
      select_files(snapshot, [&](const auto& files) { return choose_data_file(dataset_name, files, split); });
  snapshot.fetch({file});
  snapshot.finish();
  return (snapshot.dir() / file).string();
}

}  // namespace ft::hub
