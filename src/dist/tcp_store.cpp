// Wire format, one request per round trip: op ('S' set, 'G' get), u32 key length, key, u32 value
// length, value. Reply: u8 found, u32 length, value. Waiting is client-side polling of 'G': the
// server never blocks on a client, so a vanished client cannot wedge it.
#include "dist/tcp_store.h"

#include <cstdint>

#include "core/error.h"

namespace ft::dist {
namespace {

constexpr auto kPollTick = std::chrono::milliseconds(100);
constexpr auto kRetryPause = std::chrono::milliseconds(5);

void send_blob(const Socket& s, const std::vector<char>& blob, Clock::time_point deadline, const std::string& what) {
  auto size = static_cast<uint32_t>(blob.size());
  send_all(s, &size, sizeof size, deadline, what);
  send_all(s, blob.data(), blob.size(), deadline, what);
}

std::vector<char> recv_blob(const Socket& s, Clock::time_point deadline, const std::string& what) {
  uint32_t size = 0;
  recv_all(s, &size, sizeof size, deadline, what);
  std::vector<char> blob(size);
  recv_all(s, blob.data(), blob.size(), deadline, what);
  return blob;
}

// gloo's keys are "<rank>" and "rank_<rank>": name the rank when we can.
std::string describe_key(const std::string& key) {
  std::string digits = key.rfind("rank_", 0) == 0 ? key.substr(5) : key;
  bool numeric = !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
  return numeric ? "rank " + digits : "key '" + key + "'";
}

}  // namespace

TcpStoreServer::TcpStoreServer(int port) : listener_(listen_on(port)), acceptor_([this] { accept_loop(); }) {}

TcpStoreServer::~TcpStoreServer() {
  stop_ = true;
  acceptor_.join();
  for (auto& t : clients_) t.join();
}

void TcpStoreServer::accept_loop() {
  while (!stop_) {
    Socket client = accept_within(listener_, kPollTick);
    if (!client.valid()) continue;
    std::lock_guard lock(mutex_);
    clients_.emplace_back([this, c = std::move(client)]() mutable { serve(std::move(c)); });
  }
}

void TcpStoreServer::serve(Socket client) {
  const std::string what = "rendezvous store serving a peer";
  try {
    while (!stop_) {
      if (!readable_within(client, kPollTick)) continue;
      auto deadline = Clock::now() + std::chrono::seconds(10);
      char op = 0;
      recv_all(client, &op, 1, deadline, what);
      std::vector<char> key_bytes = recv_blob(client, deadline, what);
      std::vector<char> value = recv_blob(client, deadline, what);
      std::string key(key_bytes.begin(), key_bytes.end());
      char found = 1;
      {
        std::lock_guard lock(mutex_);
        if (op == 'S') {
          values_[key] = std::move(value);
          value.clear();
        } else if (auto it = values_.find(key); it != values_.end()) {
          value = it->second;
        } else {
          found = 0;
        }
      }
      send_all(client, &found, 1, deadline, what);
      send_blob(client, value, deadline, what);
    }
  } catch (const Error&) {
    // The peer hung up or stalled: its own side reports that; the store keeps serving the others.
  }
}

TcpStore::TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout)
    : endpoint_(host + ":" + std::to_string(port)),
      timeout_(timeout),
      socket_(connect_until(host, port, Clock::now() + timeout)) {}

std::optional<std::vector<char>> TcpStore::exchange(char op, const std::string& key, const std::vector<char>& value) {
  auto deadline = Clock::now() + timeout_;
  const std::string what = "rendezvous store at " + endpoint_;
  send_all(socket_, &op, 1, deadline, what);
  send_blob(socket_, std::vector<char>(key.begin(), key.end()), deadline, what);
  send_blob(socket_, value, deadline, what);
  char found = 0;
  recv_all(socket_, &found, 1, deadline, what);
  std::vector<char> reply = recv_blob(socket_, deadline, what);
  if (!found) return std::nullopt;
  return reply;
}

void TcpStore::set(const std::string& key, const std::vector<char>& data) { exchange('S', key, data); }

std::vector<char> TcpStore::get_until(const std::string& key, Clock::time_point deadline) {
  for (;;) {
    if (auto value = exchange('G', key, {})) return *value;
    if (Clock::now() >= deadline)
      throw Error(kExitRetryable, "rendezvous at " + endpoint_ + ": " + describe_key(key) +
                                      " did not register before the timeout (it did not start or cannot "
                                      "reach the coordinator); restart the job: it resumes from the newest "
                                      "checkpoint");
    std::this_thread::sleep_for(kRetryPause);
  }
}

std::vector<char> TcpStore::get(const std::string& key) { return get_until(key, Clock::now() + timeout_); }

void TcpStore::wait(const std::vector<std::string>& keys) { wait(keys, timeout_); }

void TcpStore::wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) {
  auto deadline = Clock::now() + timeout;
  for (const auto& key : keys) get_until(key, deadline);
}

std::string TcpStore::local_address() const { return ft::dist::local_address(socket_); }

}  // namespace ft::dist
