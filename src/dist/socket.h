// Minimal blocking TCP for the rendezvous store: an owning descriptor, a connect that retries
// (DNS and pod start-up lag are normal) and whole-buffer transfers, all bounded by a deadline.
// Failures throw ft::Error with kExitRetryable: a peer that is not there yet or went away is
// something a job restart can fix.
#pragma once
#include <chrono>
#include <cstddef>
#include <string>

namespace ft::dist {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(other.release()) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket();
  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release();

 private:
  int fd_ = -1;
};

// Connects to host:port, retrying resolution and connection until `deadline`.
Socket connect_until(const std::string& host, int port, Clock::time_point deadline);
// Listens on every interface (IPv6 dual-stack when available) at `port`; kExitUsage when taken.
Socket listen_on(int port);
// The next connection on `listener`, or an invalid Socket when none arrives within `wait`.
Socket accept_within(const Socket& listener, std::chrono::milliseconds wait);
// True when `s` has data (or a hang-up) to read within `wait`.
bool readable_within(const Socket& s, std::chrono::milliseconds wait);
// Moves exactly `size` bytes; throws on a closed connection or the deadline. `what` names the
// exchange in the message.
void send_all(const Socket& s, const void* data, size_t size, Clock::time_point deadline,
              const std::string& what);
void recv_all(const Socket& s, void* data, size_t size, Clock::time_point deadline,
              const std::string& what);
// The numeric local address of a connected socket: the interface that routes to the peer.
std::string local_address(const Socket& s);

}  // namespace ft::dist
