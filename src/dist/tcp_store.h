// The rendezvous key-value store: rank 0 serves it on the coordinator port (TcpStoreServer) and
// every rank, rank 0 included, reaches it through TcpStore, gloo's Store interface. Values are
// written once (gloo publishes addresses under fixed keys); get and wait block until the key
// exists or the timeout passes, then throw ft::Error with kExitRetryable naming the key, which
// for gloo's keys is the missing rank.
#pragma once
#include <gloo/rendezvous/store.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dist/socket.h"

namespace ft::dist {

class TcpStoreServer {
 public:
  explicit TcpStoreServer(int port);  // listens now, serves from a background thread
  ~TcpStoreServer();                  // stops serving and joins every thread
  TcpStoreServer(const TcpStoreServer&) = delete;
  TcpStoreServer& operator=(const TcpStoreServer&) = delete;

 private:
  void accept_loop();
  void serve(Socket client);

  Socket listener_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // guards values_ and clients_
  std::map<std::string, std::vector<char>> values_;
  std::vector<std::thread> clients_;
  std::thread acceptor_;
};

class TcpStore final : public gloo::rendezvous::Store {
 public:
  // Connects to host:port, retrying until `timeout`; the same timeout bounds every later wait.
  TcpStore(const std::string& host, int port, std::chrono::milliseconds timeout);

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys) override;
  void wait(const std::vector<std::string>& keys, const std::chrono::milliseconds& timeout) override;

  // This host's address on the route to the coordinator: where peers can reach this rank.
  std::string local_address() const;

 private:
  // One request/reply; nullopt when the key is not set yet.
  std::optional<std::vector<char>> exchange(char op, const std::string& key, const std::vector<char>& value);
  std::vector<char> get_until(const std::string& key, Clock::time_point deadline);

  std::string endpoint_;
  std::chrono::milliseconds timeout_;
  Socket socket_;
};

}  // namespace ft::dist
