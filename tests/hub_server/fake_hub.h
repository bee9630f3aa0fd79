// A stand-in for huggingface.co in tests: the Hub's URL layout and headers on 127.0.0.1
// (/api/{models,datasets}/{id}/revision/{rev}, [/datasets]/{id}/resolve/{rev}/{file} with
// X-Repo-Commit, ETag, X-Linked-Etag/-Size, X-Error-Code) and a "CDN" on another host, 127.0.0.2,
// that large (LFS) files redirect to. Gated repositories want `token`: 401 without, 403 wrong.
// Faults: drop a transfer mid-body once, or corrupt a blob. Every request is logged.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "http_listener.h"

namespace ft::test {

struct FakeRepo {
  bool dataset = false;
  std::string id;
  std::string commit = std::string(40, 'a');
  std::set<std::string> revisions = {"main"};
  std::map<std::string, std::string> files;  // name -> content
  std::set<std::string> lfs;                 // names served through the CDN with a sha256 ETag
  bool gated = false;
};

struct LoggedRequest {
  bool to_cdn;
  std::string method, path, authorization, range;
};

class FakeHub {
 public:
  std::string token = "hf_test_secret_token";

  FakeHub()
      : hub_("127.0.0.1", [this](const HttpRequestSeen& r) { return on_hub(r); }),
        cdn_("127.0.0.2", [this](const HttpRequestSeen& r) { return on_cdn(r); }) {}

  const std::string& endpoint() const { return hub_.origin(); }
  void add(const FakeRepo& repo) {
    std::lock_guard lock(mutex_);
    repos_[(repo.dataset ? "datasets/" : "models/") + repo.id] = repo;
  }
  void drop_once(const std::string& content_sha, size_t after_bytes) {
    std::lock_guard lock(mutex_);
    drops_[content_sha] = after_bytes;
  }
  void corrupt(const std::string& content_sha) {
    std::lock_guard lock(mutex_);
    corrupted_.insert(content_sha);
  }
  std::vector<LoggedRequest> requests() const {
    std::lock_guard lock(mutex_);
    return log_;
  }
  void clear_log() {
    std::lock_guard lock(mutex_);
    log_.clear();
  }

 private:
  static HttpReply error(int status, const std::string& code) {
    return {status, {{"X-Error-Code", code}}, code, std::string::npos};
  }

  static std::string decode(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i] == '%' && i + 2 < s.size()) {
        out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        out += s[i];
      }
    return out;
  }

  // 401/403/404 for a repository at a revision, or nullptr when it may be served.
  std::unique_ptr<HttpReply> refuse(const FakeRepo* repo, const std::string& revision,
                                    const HttpRequestSeen& r) const {
    if (!repo) return std::make_unique<HttpReply>(error(404, "RepoNotFound"));
    const std::string auth = r.header("authorization");
    if (repo->gated && auth.empty()) return std::make_unique<HttpReply>(error(401, "GatedRepo"));
    if (repo->gated && auth != "Bearer " + token) return std::make_unique<HttpReply>(error(403, "GatedRepo"));
    if (!repo->revisions.count(revision) && revision != repo->commit)
      return std::make_unique<HttpReply>(error(404, "RevisionNotFound"));
    return nullptr;
  }

  HttpReply on_hub(const HttpRequestSeen& r) {
    std::lock_guard lock(mutex_);
    log_.push_back({false, r.method, r.path, r.header("authorization"), r.header("range")});
    const std::string path = r.path;
    if (path.rfind("/api/", 0) == 0) {
      const size_t rev_at = path.find("/revision/");
      if (rev_at == std::string::npos) return error(404, "NotFound");
      const std::string key = path.substr(5, rev_at - 5);
      const FakeRepo* repo = repos_.count(key) ? &repos_.at(key) : nullptr;
      if (auto refused = refuse(repo, decode(path.substr(rev_at + 10)), r)) return *refused;
      nlohmann::json listing = {{"id", repo->id}, {"sha", repo->commit}, {"siblings", nlohmann::json::array()}};
      for (const auto& [name, content] : repo->files) listing["siblings"].push_back({{"rfilename", name}});
      return {200, {{"Content-Type", "application/json"}}, listing.dump(), std::string::npos};
    }
    const size_t resolve_at = path.find("/resolve/");
    if (resolve_at == std::string::npos) return error(404, "NotFound");
    const bool dataset = path.rfind("/datasets/", 0) == 0;
    const std::string key = (dataset ? "datasets/" : "models/") + path.substr(dataset ? 10 : 1, resolve_at - (dataset ? 10 : 1));
    const std::string rest = path.substr(resolve_at + 9);
    const std::string revision = decode(rest.substr(0, rest.find('/')));
    const std::string file = decode(rest.substr(rest.find('/') + 1));
    const FakeRepo* repo = repos_.count(key) ? &repos_.at(key) : nullptr;
    if (auto refused = refuse(repo, revision, r)) return *refused;
    if (!repo->files.count(file)) return error(404, "EntryNotFound");
    const std::string& content = repo->files.at(file);
    const std::string sha = sha256_hex(content);
    if (repo->lfs.count(file))
      return {302,
              {{"Location", cdn_.origin() + "/blobs/" + sha + "?name=" + file},
               {"X-Repo-Commit", repo->commit},
               {"X-Linked-Etag", "\"" + sha + "\""},
               {"X-Linked-Size", std::to_string(content.size())},
               {"ETag", "\"" + sha.substr(0, 40) + "-pointer\""}},
              "",
              std::string::npos};
    return {200, {{"X-Repo-Commit", repo->commit}, {"ETag", "\"" + sha.substr(24) + "\""}}, content, std::string::npos};
  }

  HttpReply on_cdn(const HttpRequestSeen& r) {
    std::lock_guard lock(mutex_);
    log_.push_back({true, r.method, r.path, r.header("authorization"), r.header("range")});
    const std::string sha = r.path.substr(7, 64);
    for (const auto& [key, repo] : repos_)
      for (const auto& [name, content] : repo.files) {
        if (sha256_hex(content) != sha) continue;
        std::string body = content;
        if (corrupted_.count(sha)) body[body.size() / 2] ^= 0x5a;
        HttpReply reply{200, {}, body, std::string::npos};
        const std::string range = r.header("range");
        if (range.rfind("bytes=", 0) == 0) {
          const size_t from = std::stoul(range.substr(6));
          reply.status = 206;
          reply.body = body.substr(from);
          reply.headers.push_back({"Content-Range", "bytes " + std::to_string(from) + "-" +
                                                        std::to_string(body.size() - 1) + "/" + std::to_string(body.size())});
        }
        if (drops_.count(sha)) {
          reply.cut_body_after = drops_[sha];
          drops_.erase(sha);
        }
        return reply;
      }
    return error(404, "NoSuchKey");
  }

  mutable std::mutex mutex_;
  std::map<std::string, FakeRepo> repos_;
  std::map<std::string, size_t> drops_;
  std::set<std::string> corrupted_;
  std::vector<LoggedRequest> log_;
  HttpListener hub_;  // last: their threads stop before the state they use is destroyed
  HttpListener cdn_;
};

}  // namespace ft::test
