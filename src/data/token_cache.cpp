#include "data/token_cache.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sha256.h"

namespace ft::data {

namespace {

constexpr char kMagic[8] = {'F', 'T', 'T', 'O', 'K', 'E', 'N', 'S'};
constexpr uint32_t kVersion = 1;
constexpr size_t kKeySize = 64;  // hex sha256

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  template <class T>
  bool get(T& v) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool get_array(void* dst, size_t bytes) {
    if (bytes_.size() - pos_ < bytes) return false;
    if (bytes) std::memcpy(dst, bytes_.data() + pos_, bytes);
    pos_ += bytes;
    return true;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  const std::string& bytes_;
  size_t pos_ = 0;
};

}  // namespace

std::string token_cache_path(const std::string& cache_dir, const std::string& key) {
  return (std::filesystem::path(cache_dir) / ("tokens-" + key.substr(0, 24) + ".bin")).string();
}

std::optional<TokenizedRecords> read_token_cache(const std::string& path, const std::string& key,
                                                 std::string& problem) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  problem = path + " is corrupt or from another version; re-tokenizing";
  if (bytes.size() < 32) return std::nullopt;
  const std::string body = bytes.substr(0, bytes.size() - 32);
  Sha256 h;
  h.update(body);
  const auto digest = h.digest();
  if (std::memcmp(digest.data(), bytes.data() + body.size(), 32) != 0) return std::nullopt;

  Reader r(body);
  char magic[8];
  uint32_t version = 0;
  char stored_key[kKeySize];
  uint64_t n = 0, n_tokens = 0;
  if (!r.get_array(magic, 8) || std::memcmp(magic, kMagic, 8) != 0 || !r.get(version) ||
      version != kVersion || !r.get_array(stored_key, kKeySize) || !r.get(n) || !r.get(n_tokens))
    return std::nullopt;
  if (std::string(stored_key, kKeySize) != key) {
    problem = path + " belongs to another dataset (key mismatch); re-tokenizing";
    return std::nullopt;
  }
  const uint64_t need = (n + 1) * 8 + n + n_tokens * 8;
  if (n > r.remaining() || n_tokens > r.remaining() || need != r.remaining()) return std::nullopt;
  std::vector<uint64_t> offsets(n + 1);
  TokenizedRecords t;
  t.truncated.resize(n);
  std::vector<int32_t> ids(n_tokens), labels(n_tokens);
  r.get_array(offsets.data(), offsets.size() * 8);
  r.get_array(t.truncated.data(), n);
  r.get_array(ids.data(), n_tokens * 4);
  r.get_array(labels.data(), n_tokens * 4);
  t.examples.resize(n);
  for (size_t i = 0; i < n; ++i) {
    if (offsets[i] > offsets[i + 1] || offsets[i + 1] > n_tokens) return std::nullopt;
    const auto a = std::ptrdiff_t(offsets[i]), b = std::ptrdiff_t(offsets[i + 1]);
    t.examples[i].ids.assign(ids.begin() + a, ids.begin() + b);
    t.examples[i].labels.assign(labels.begin() + a, labels.begin() + b);
  }
  problem.clear();
  return t;
}

std::string write_token_cache(const std::string& path, const std::string& key, const TokenizedRecords& t) {
  std::string out(kMagic, 8);
  put(out, kVersion);
  out.append(key.data(), std::min(key.size(), kKeySize));
  out.resize(8 + 4 + kKeySize, '0');
  uint64_t n_tokens = 0;
  for (const auto& ex : t.examples) n_tokens += ex.ids.size();
  put(out, uint64_t(t.examples.size()));
  put(out, n_tokens);
  uint64_t offset = 0;
  put(out, offset);
  for (const auto& ex : t.examples) put(out, offset += ex.ids.size());
  out.append(reinterpret_cast<const char*>(t.truncated.data()), t.truncated.size());
  for (const auto& ex : t.examples)
    out.append(reinterpret_cast<const char*>(ex.ids.data()), ex.ids.size() * 4);
  for (const auto& ex : t.examples)
    out.append(reinterpret_cast<const char*>(ex.labels.data()), ex.labels.size() * 4);
  Sha256 h;
  h.update(out);
  const auto digest = h.digest();
  out.append(reinterpret_cast<const char*>(digest.data()), digest.size());

  const std::filesystem::path target(path);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) return "cannot create the token cache directory " + target.parent_path().string() + " (" + ec.message() + ")";
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  bool ok = f && std::fwrite(out.data(), 1, out.size(), f) == out.size() && std::fflush(f) == 0 &&
            fsync(fileno(f)) == 0;
  int err = errno;
  if (f && std::fclose(f) != 0 && ok) ok = false, err = errno;
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) ok = false, err = errno;
  if (ok) return "";
  std::remove(tmp.c_str());
  return "cannot write the token cache " + path + " (" + std::strerror(err) + ")";
}

}  // namespace ft::data
