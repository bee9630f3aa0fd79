// Blocking sockets bounded by deadlines via poll(); see socket.h.
#include "dist/socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>
#include <utility>

#include "core/error.h"

namespace ft::dist {
namespace {

int remaining_ms(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
}

// True when `fd` is ready for `events` before the deadline.
bool wait_ready(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rv = poll(&p, 1, remaining_ms(deadline));
    if (rv > 0) return true;
    if (rv == 0) return false;
    if (errno != EINTR) return false;
  }
}

[[noreturn]] void fail_retryable(const std::string& message) { throw Error(kExitRetryable, message); }

// One connection attempt to each resolved address; the connected socket or an invalid one.
Socket try_connect(const std::string& host, int port, Clock::time_point deadline, std::string& last_error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rv = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rv != 0) {
    last_error = std::string("cannot resolve host: ") + gai_strerror(rv);
    return Socket();
  }
  Socket connected;
  for (addrinfo* a = found; a && !connected.valid(); a = a->ai_next) {
    Socket s(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!s.valid()) continue;
    if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    int err = ETIMEDOUT;
    socklen_t len = sizeof err;
    if (wait_ready(s.fd(), POLLOUT, std::min(deadline, Clock::now() + std::chrono::seconds(2))))
      getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last_error = std::strerror(err);
      continue;
    }
    int one = 1;
    setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    connected = std::move(s);
  }
  freeaddrinfo(found);
  return connected;
}

}  // namespace

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.release();
  }
  return *this;
}

Socket::~Socket() {
  if (fd_ >= 0) close(fd_);
}

int Socket::release() { return std::exchange(fd_, -1); }

Socket connect_until(const std::string& host, int port, Clock::time_point deadline) {
  std::string last_error = "no attempt made";
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    Socket s = try_connect(host, port, deadline, last_error);
    if (s.valid()) return s;
    if (Clock::now() + pause >= deadline) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
  fail_retryable("cannot reach the coordinator " + host + ":" + std::to_string(port) + " (" + last_error +
                 ") before the timeout; check MASTER_ADDR/MASTER_PORT (or PET_*), that rank 0 is running, "
                 "and restart the job");
}

Socket listen_on(int port) {
  for (int family : {AF_INET6, AF_INET}) {
    Socket s(socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!s.valid()) continue;
    int one = 1, zero = 0;
    setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage addr{};
    socklen_t len = 0;
    if (family == AF_INET6) {
      setsockopt(s.fd(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
      a6->sin6_family = AF_INET6;
      a6->sin6_addr = in6addr_any;
      a6->sin6_port = htons(static_cast<uint16_t>(port));
      len = sizeof *a6;
    } else {
      auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
      a4->sin_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_ANY);
      a4->sin_port = htons(static_cast<uint16_t>(port));
      len = sizeof *a4;
    }
    if (bind(s.fd(), reinterpret_cast<sockaddr*>(&addr), len) != 0) {
      if (errno == EADDRINUSE)
        fail_usage("the coordinator port " + std::to_string(port) +
                   " is already in use on rank 0's host; set MASTER_PORT (or PET_MASTER_PORT) to a free port");
      continue;
    }
    if (listen(s.fd(), 128) == 0) return s;
  }
  fail_usage("cannot listen on the coordinator port " + std::to_string(port) + ": " + std::strerror(errno));
}

bool readable_within(const Socket& s, std::chrono::milliseconds wait) {
  return wait_ready(s.fd(), POLLIN, Clock::now() + wait);
}

Socket accept_within(const Socket& listener, std::chrono::milliseconds wait) {
  if (!readable_within(listener, wait)) return Socket();
  Socket s(accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (s.valid()) {
    int one = 1;
    setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return s;
}

void send_all(const Socket& s, const void* data, size_t size, Clock::time_point deadline,
              const std::string& what) {
  auto* p = static_cast<const char*>(data);
  while (size > 0) {
    if (!wait_ready(s.fd(), POLLOUT, deadline)) fail_retryable(what + ": timed out sending");
    ssize_t n = ::send(s.fd(), p, size, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) fail_retryable(what + ": connection lost while sending (" + std::strerror(errno) + ")");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void recv_all(const Socket& s, void* data, size_t size, Clock::time_point deadline, const std::string& what) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    if (!wait_ready(s.fd(), POLLIN, deadline)) fail_retryable(what + ": timed out waiting for a reply");
    ssize_t n = ::recv(s.fd(), p, size, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n == 0) fail_retryable(what + ": the other side closed the connection");
    if (n < 0) fail_retryable(what + ": connection lost (" + std::string(std::strerror(errno)) + ")");
    p += n;
    size -= static_cast<size_t>(n);
  }
}

std::string local_address(const Socket& s) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  char host[NI_MAXHOST] = {};
  if (getsockname(s.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      getnameinfo(reinterpret_cast<sockaddr*>(&addr), len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
    fail_retryable(std::string("cannot read this host's address on the coordinator connection: ") +
                   std::strerror(errno));
  std::string text = host;
  // A v4 peer reached over a dual-stack socket shows up as ::ffff:a.b.c.d; gloo wants plain v4.
  if (text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos) text = text.substr(7);
  return text;
}

}  // namespace ft::dist
