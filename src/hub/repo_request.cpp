#include "hub/repo_request.h"

#include <cctype>

#include "core/error.h"

namespace ft::hub {

std::string url_quote(const std::string& text, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string RepoRequest::info_url() const {
  return env.endpoint + "/api/" + (type == RepoType::kModel ? "models/" : "datasets/") + id + "/revision/" +
         url_quote(revision, false);
}

std::string RepoRequest::resolve_url(const std::string& commit, const std::string& filename) const {
  return env.endpoint + (type == RepoType::kModel ? "/" : "/datasets/") + id + "/resolve/" + url_quote(commit, false) +
         "/" + url_quote(filename, true);
}

std::string RepoRequest::flags() const {
  return type == RepoType::kModel ? "--model_name_or_path/--model_revision" : "--dataset_name/--dataset_revision";
}

void fail_hub_response(const RepoRequest& request, const HttpResponse& response, const std::string& what) {
  const std::string kind = repo_type_name(request.type);
  // A bare word ("mymodel") is as likely a mistyped local directory as a Hub id: say both.
  const bool bare = request.id.find('/') == std::string::npos;
  const std::string subject =
      request.id + (what.empty() ? "" : " (" + what + ")") + (bare ? " (no local directory of that name)" : "");
  // A network failure, HTTP 429 or 5xx may pass: exit 200 (retryable), so a Kubernetes job
  // restarts the pod instead of failing for good when N ranks fetch at once. A bare word stays a
  // usage error: it is more likely a mistyped local directory.
  const auto fail_passing = [&](const std::string& message) {
    if (bare) fail_usage(message);
    throw Error(kExitRetryable, message);
  };
  if (!response.transport_error.empty())
    fail_passing(subject + ": cannot reach the Hub at " + request.env.endpoint + " (" + response.transport_error +
                 "); check the network, proxy or HF_ENDPOINT, or use a complete cache with HF_HUB_OFFLINE=1");
  const long status = response.status;
  if (status == 401 || status == 403)
    fail_usage(subject + ": this " + kind + " is gated or private: accept its licence on the Hub and provide a "
               "token (HF_TOKEN or $HF_HOME/token)");
  if (status == 404) {
    const std::string code = response.header("x-error-code");
    if (code == "RevisionNotFound")
      fail_usage(subject + ": revision '" + request.revision + "' does not exist in this " + kind +
                 " repository; check " + request.flags());
    if (code == "EntryNotFound")
      fail_usage(subject + ": the file does not exist at revision '" + request.revision + "'");
    fail_usage(subject + ": the " + kind + " id or revision '" + request.revision + "' does not exist on " +
               request.env.endpoint + "; check " + request.flags());
  }
  const std::string answered = subject + ": the Hub at " + request.env.endpoint + " answered HTTP " +
                               std::to_string(status) + " for " + response.url + "; try again later";
  if (status == 429 || status >= 500) fail_passing(answered);
  fail_usage(answered);
}

}  // namespace ft::hub
