#include "hub/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace ft::hub {
namespace {

constexpr int kMaxRedirects = 10;
constexpr size_t kMaxBufferedBody = size_t{64} << 20;  // API listings of huge repositories fit

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

using UrlHandle = std::unique_ptr<CURLU, decltype(&curl_url_cleanup)>;

std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, flags) != CURLUE_OK) return {};
  std::string out = value;
  curl_free(value);
  return out;
}

struct Transfer {
  HttpResponse* response;
  const BodySink* sink;
  int64_t position = 0;  // offset of the next body byte in the resource
  int64_t offset = 0;    // the Range start we asked for
};

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
  if (line.rfind("HTTP/", 0) == 0) {  // a new response (e.g. after 100 Continue) starts over
    t->response->headers.clear();
    const size_t space = line.find(' ');
    t->response->status = space == std::string::npos ? 0 : std::atol(line.c_str() + space + 1);
    t->position = t->response->status == 206 ? t->offset : 0;
  } else if (const size_t colon = line.find(':'); colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    const size_t start = line.find_first_not_of(" \t", colon + 1);
    t->response->headers[name] = start == std::string::npos ? "" : line.substr(start);
  }
  return size * count;
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  const long status = t->response->status;
  if (status >= 200 && status < 300 && t->sink && *t->sink) {
    if (!(*t->sink)(t->position, data, n)) return 0;  // makes curl stop with CURLE_WRITE_ERROR
  } else if (t->response->body.size() + n <= kMaxBufferedBody) {
    t->response->body.append(data, n);
  }
  t->position += int64_t(n);
  return n;
}

}  // namespace

std::string HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string url_origin(const std::string& url) {
  UrlHandle parsed(curl_url(), &curl_url_cleanup);
  if (curl_url_set(parsed.get(), CURLUPART_URL, url.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) return {};
  std::string host = url_part(parsed.get(), CURLUPART_HOST);
  std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return url_part(parsed.get(), CURLUPART_SCHEME) + "://" + host + ":" +
         url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

std::string url_join(const std::string& base, const std::string& reference) {
  UrlHandle url(curl_url(), &curl_url_cleanup);
  if (curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK ||
      curl_url_set(url.get(), CURLUPART_URL, reference.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
    return {};
  return url_part(url.get(), CURLUPART_URL);
}

HttpClient::HttpClient(std::string token_origin, std::string token)
    : token_origin_(url_origin(token_origin)), token_(std::move(token)) {
  init_curl_once();
}

HttpResponse HttpClient::head(const std::string& url) const { return follow(url, true, nullptr, 0); }

HttpResponse HttpClient::get(const std::string& url, const BodySink& sink, int64_t offset) const {
  return follow(url, false, sink, offset);
}

HttpResponse HttpClient::follow(const std::string& url, bool head, const BodySink& sink, int64_t offset) const {
  std::string current = url;
  for (int hop = 0;; ++hop) {
    HttpResponse response = perform(current, head, sink, offset);
    const std::string location = response.header("location");
    if (!response.transport_error.empty() || response.status < 300 || response.status >= 400 ||
        location.empty() || hop == kMaxRedirects)
      return response;
    const std::string next = url_join(current, location);
    if (next.empty() || (head && url_origin(next) != url_origin(current))) return response;
    current = next;
  }
}

HttpResponse HttpClient::perform(const std::string& url, bool head, const BodySink& sink, int64_t offset) const {
  HttpResponse response;
  response.url = url;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    response.transport_error = "curl_easy_init failed";
    return response;
  }
  Transfer transfer{&response, &sink, 0, offset};
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, &curl_slist_free_all);
  auto add_header = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
  add_header("Accept-Encoding: identity");  // sizes and sha256 refer to the stored bytes
  if (!token_.empty() && url_origin(url) == token_origin_) add_header("Authorization: Bearer " + token_);
  const std::string range = std::to_string(offset) + "-";

  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_USERAGENT, "finetune.cpp/0.1 (huggingface_hub cache compatible)");
  curl_easy_setopt(h, CURLOPT_NOBODY, head ? 1L : 0L);
  if (!head && offset > 0) curl_easy_setopt(h, CURLOPT_RANGE, range.c_str());
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);  // a stalled transfer fails after a minute
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) response.transport_error = curl_easy_strerror(code);
  return response;
}

}  // namespace ft::hub
