// What is being fetched (a model or dataset repository at a revision) and the one-line ft::Error
// each Hub failure becomes: 401/403 gated or private, 404 unknown id / revision / file, other
// statuses, and an unreachable Hub.
#pragma once
#include <string>

#include "hub/hub_env.h"
#include "hub/http_client.h"
#include "hub/repo_cache.h"

namespace ft::hub {

struct RepoRequest {
  RepoType type;
  std::string id;
  std::string revision;
  HubEnv env;

  // "{endpoint}/api/models/{id}/revision/{rev}" (datasets: /api/datasets/...).
  std::string info_url() const;
  // "{endpoint}/{id}/resolve/{rev}/{file}" (datasets: /datasets/{id}/resolve/...).
  std::string resolve_url(const std::string& commit, const std::string& filename) const;
  // The CLI flags that named this repository, for messages: "--model_name_or_path/--model_revision".
  std::string flags() const;
};

// Percent-encodes a URL component; '/' is kept when `keep_slash` (file paths inside a repo).
std::string url_quote(const std::string& text, bool keep_slash);

// Throws the ft::Error for a failed Hub request about `what` (a file name, or "" for the repo).
[[noreturn]] void fail_hub_response(const RepoRequest& request, const HttpResponse& response,
                                    const std::string& what);

}  // namespace ft::hub
