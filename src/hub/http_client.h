// A small blocking HTTP(S) client over libcurl for the Hub: HEAD and GET with our own redirect
// loop so the token (Authorization: Bearer) is sent only to the Hub's origin, never to the CDN a
// download redirects to; GETs can start at a byte offset (HTTP Range) and stream to a sink.
// Transport failures (refused, reset, dropped mid-body) are reported, not thrown.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace ft::hub {

struct HttpResponse {
  long status = 0;                              // 0 when no status line arrived
  std::string url;                              // the URL that gave this response
  std::map<std::string, std::string> headers;   // names in lower case
  std::string body;                             // non-streamed bodies (API JSON, error text)
  std::string transport_error;                  // non-empty when the connection failed or dropped

  std::string header(const std::string& lower_name) const;
  bool ok() const { return transport_error.empty() && status >= 200 && status < 300; }
};

// Receives the body of a 2xx response: `position` is the byte offset of `data` in the whole
// resource (a server may ignore Range and restart at 0). Return false to abort the transfer.
using BodySink = std::function<bool(int64_t position, const char* data, size_t size)>;

// "scheme://host:port" of a URL (default port filled in), or "" when it does not parse.
std::string url_origin(const std::string& url);
// `reference` (a Location header, maybe relative) resolved against `base`; "" when invalid.
std::string url_join(const std::string& base, const std::string& reference);

class HttpClient {
 public:
  HttpClient(std::string token_origin, std::string token);

  // HEAD that follows redirects only within the same origin (a renamed repository), and returns
  // a redirect to another host (the CDN of a large file) as is, with its Location and headers.
  HttpResponse head(const std::string& url) const;
  // GET following every redirect. A 2xx body goes to `sink` when given, else into `body`.
  HttpResponse get(const std::string& url, const BodySink& sink = nullptr, int64_t offset = 0) const;

 private:
  HttpResponse follow(const std::string& url, bool head, const BodySink& sink, int64_t offset) const;
  HttpResponse perform(const std::string& url, bool head, const BodySink& sink, int64_t offset) const;

  std::string token_origin_;
  std::string token_;
};

}  // namespace ft::hub
