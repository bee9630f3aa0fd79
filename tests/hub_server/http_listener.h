// A minimal HTTP/1.1 server for tests: listens on one loopback address (port chosen by the
// kernel), serves one request per connection on a background thread through a handler, and can
// cut a response body short to simulate a dropped connection. Header-only because the test glob
// compiles only tests/*_test.cpp.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ft::test {

struct HttpRequestSeen {
  std::string method, path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpReply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  size_t cut_body_after = std::string::npos;  // close the connection after this many body bytes
};

class HttpListener {
 public:
  using Handler = std::function<HttpReply(const HttpRequestSeen&)>;

  HttpListener(const std::string& ip, Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("test HTTP server cannot listen on " + ip);
    origin_ = "http://" + ip + ":" + std::to_string(ntohs(addr.sin_port));
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpListener() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  const std::string& origin() const { return origin_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      HttpRequestSeen request;
      if (read_request(conn, request)) write_reply(conn, request.method == "HEAD", handler_(request));
      ::close(conn);
    }
  }

  static bool read_request(int conn, HttpRequestSeen& request) {
    std::string raw;
    char buf[4096];
    while (raw.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return false;
      raw.append(buf, size_t(n));
    }
    size_t line_end = raw.find("\r\n");
    const std::string first = raw.substr(0, line_end);
    const size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    request.method = first.substr(0, sp1);
    request.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
    for (size_t at = line_end + 2; at < raw.size(); at = line_end + 2) {
      line_end = raw.find("\r\n", at);
      const std::string line = raw.substr(at, line_end - at);
      if (line.empty()) break;
      std::string name = line.substr(0, line.find(':'));
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = line.substr(line.find_first_not_of(' ', line.find(':') + 1));
    }
    return true;
  }

  static void write_reply(int conn, bool head, const HttpReply& reply) {
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " X\r\nConnection: close\r\n";
    bool has_length = false;
    for (const auto& [name, value] : reply.headers) {
      out += name + ": " + value + "\r\n";
      has_length = has_length || name == "Content-Length";
    }
    if (!has_length) out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    out += "\r\n";
    if (!head) out += reply.body.substr(0, reply.cut_body_after);
    for (size_t sent = 0; sent < out.size();) {
      const ssize_t n = ::send(conn, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += size_t(n);
    }
  }

  Handler handler_;
  int fd_ = -1;
  std::string origin_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ft::test
