// detect_launch: the launcher's environment → rank, world size and coordinator. Each contract is a
// small function returning nullopt when its variables are absent, so the order lives in one place.
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>

#include "core/error.h"
#include "dist/communicator.h"

namespace ft::dist {
namespace {

constexpr int kDefaultPort = 29500;

int parse_int(std::string_view name, const std::string& value, int min, int max) {
  int parsed = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, parsed);
  if (value.empty() || ec != std::errc() || ptr != end || parsed < min || parsed > max)
    fail_usage(std::string(name) + "='" + value + "' must be an integer in [" + std::to_string(min) +
               ", " + std::to_string(max) + "]; fix the launcher's environment");
  return parsed;
}

int parse_port(std::string_view name, const std::string& value) { return parse_int(name, value, 1, 65535); }

// The number of processes in `name`. An elastic PyTorchJob sets PET_NNODES to "min:max"; the
// trainer's world size is fixed (a restart at another size re-shards the checkpoint), so only an
// equal pair is one.
int parse_world_size(std::string_view name, const std::string& value) {
  const size_t colon = value.find(':');
  if (colon == std::string::npos) return parse_int(name, value, 1, INT_MAX);
  const int low = parse_int(name, value.substr(0, colon), 1, INT_MAX);
  const int high = parse_int(name, value.substr(colon + 1), 1, INT_MAX);
  if (low != high)
    fail_usage(std::string(name) + "='" + value + "' is an elastic range; finetune.cpp trains with a fixed number of "
               "processes: set elasticPolicy.minReplicas and maxReplicas both to the worker count");
  return low;
}

struct Endpoint {
  std::string host;
  int port = kDefaultPort;
};

// "host", "host:port" or "[v6addr]:port".
Endpoint parse_endpoint(std::string_view name, const std::string& value) {
  Endpoint e;
  std::string rest = value;
  if (!rest.empty() && rest.front() == '[') {
    size_t close = rest.find(']');
    if (close == std::string::npos)
      fail_usage(std::string(name) + "='" + value + "' has '[' without ']'; expected [host]:port");
    e.host = rest.substr(1, close - 1);
    rest = rest.substr(close + 1);
    if (!rest.empty() && rest.front() != ':')
      fail_usage(std::string(name) + "='" + value + "' must be [host]:port");
    if (!rest.empty()) e.port = parse_port(name, rest.substr(1));
  } else {
    size_t colon = rest.rfind(':');
    e.host = rest.substr(0, colon);
    if (colon != std::string::npos) e.port = parse_port(name, rest.substr(colon + 1));
  }
  if (e.host.empty()) fail_usage(std::string(name) + "='" + value + "' has no host; expected host:port");
  return e;
}

// Fills in the coordinator, checks rank < world size and clears the coordinator for one process.
LaunchInfo finish(LaunchInfo info, const std::string& rank_var, const std::string& size_var,
                  const std::string& addr_var) {
  if (info.rank >= info.world_size)
    fail_usage(rank_var + "=" + std::to_string(info.rank) + " must be less than " + size_var + "=" +
               std::to_string(info.world_size) + "; fix the launcher's environment");
  if (info.world_size == 1) {
    info.coordinator_host.clear();
  } else if (info.coordinator_host.empty()) {
    fail_usage(size_var + "=" + std::to_string(info.world_size) + " needs the coordinator's address in " +
               addr_var + "; set it to rank 0's host name");
  }
  return info;
}

// `addr_var` with the port from `port_var` (default 29500); nullopt when `addr_var` is unset.
std::optional<Endpoint> address_and_port(const EnvLookup& env, const std::string& addr_var,
                                         const std::string& port_var) {
  auto addr = env(addr_var);
  if (!addr) return std::nullopt;
  // "host:port" here was resolved as a host name until the timeout, then reported as retryable.
  const bool ipv6 = std::count(addr->begin(), addr->end(), ':') > 1;
  if (addr->find_first_of(" \t/") != std::string::npos || (!ipv6 && addr->find(':') != std::string::npos))
    fail_usage(addr_var + "='" + *addr + "' is not a host name or address" +
               (addr->find(':') != std::string::npos ? "; give the port in " + port_var : std::string()));
  Endpoint e{*addr, kDefaultPort};
  if (auto port = env(port_var)) e.port = parse_port(port_var, *port);
  return e;
}

// The two contracts that name rank, world size and coordinator outright.
struct ExplicitContract {
  std::string rank, size, addr, port;
};
const ExplicitContract kTorchRun{"RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"};
const ExplicitContract kTrainerV2{"PET_NODE_RANK", "PET_NNODES", "PET_MASTER_ADDR", "PET_MASTER_PORT"};

LaunchInfo explicit_launch(const EnvLookup& env, const ExplicitContract& c, const std::string& rank,
                           const std::string& size) {
  LaunchInfo info;
  info.source = c.rank + "/" + c.size;
  info.world_size = parse_world_size(c.size, size);
  info.rank = parse_int(c.rank, rank, 0, INT_MAX);
  Endpoint coordinator = address_and_port(env, c.addr, c.port).value_or(Endpoint{});
  info.coordinator_host = coordinator.host;
  info.coordinator_port = coordinator.port;
  return finish(info, c.rank, c.size, c.addr);
}

std::optional<LaunchInfo> from_rank_world(const EnvLookup& env) {
  auto rank = env("RANK"), size = env("WORLD_SIZE");
  // An Indexed Job may give WORLD_SIZE alone: JOB_COMPLETION_INDEX is then the rank.
  if (!rank && (!size || env("JOB_COMPLETION_INDEX"))) return std::nullopt;
  if (!rank || !size)
    fail_usage(std::string(rank ? "RANK is set but WORLD_SIZE is not" : "WORLD_SIZE is set but RANK is not") +
               "; set both (or neither for one process)");
  return explicit_launch(env, kTorchRun, *rank, *size);
}

std::optional<LaunchInfo> from_pet_node_rank(const EnvLookup& env) {
  auto rank = env("PET_NODE_RANK");
  if (!rank) return std::nullopt;
  auto size = env("PET_NNODES");
  if (!size) fail_usage("PET_NODE_RANK is set but PET_NNODES is not; set both (Kubeflow Trainer sets both)");
  return explicit_launch(env, kTrainerV2, *rank, *size);
}

// An Indexed Job names no coordinator of its own: take the first address variable that is set.
Endpoint any_coordinator(const EnvLookup& env) {
  for (const auto* c : {&kTorchRun, &kTrainerV2})
    if (auto e = address_and_port(env, c->addr, c->port)) return *e;
  if (auto rdzv = env("PET_RDZV_ENDPOINT")) return parse_endpoint("PET_RDZV_ENDPOINT", *rdzv);
  return {};
}

std::optional<LaunchInfo> from_completion_index(const EnvLookup& env) {
  auto index = env("JOB_COMPLETION_INDEX");
  if (!index) return std::nullopt;
  LaunchInfo info;
  std::string size_var = env("PET_NNODES") ? "PET_NNODES" : "WORLD_SIZE";
  auto size = env(size_var);
  if (!size)
    fail_usage("JOB_COMPLETION_INDEX is set but neither PET_NNODES nor WORLD_SIZE gives the number of "
               "processes; set one to the Job's completions");
  info.source = "JOB_COMPLETION_INDEX/" + size_var;
  info.world_size = parse_world_size(size_var, *size);
  info.rank = parse_int("JOB_COMPLETION_INDEX", *index, 0, INT_MAX);
  Endpoint coordinator = any_coordinator(env);
  info.coordinator_host = coordinator.host;
  info.coordinator_port = coordinator.port;
  return finish(info, "JOB_COMPLETION_INDEX", size_var, "MASTER_ADDR, PET_MASTER_ADDR or PET_RDZV_ENDPOINT");
}

// Worker-only PyTorchJob: pods are "<job>-worker-<i>" and PET_RDZV_ENDPOINT names worker 0.
std::optional<LaunchInfo> from_hostname(const EnvLookup& env) {
  auto size = env("PET_NNODES");
  if (!size) return std::nullopt;
  auto rdzv = env("PET_RDZV_ENDPOINT");
  if (!rdzv)
    fail_usage("PET_NNODES is set without PET_NODE_RANK, JOB_COMPLETION_INDEX or PET_RDZV_ENDPOINT; set "
               "PET_RDZV_ENDPOINT to worker 0's host:port (or PET_NODE_RANK)");
  std::string host = env("HOSTNAME").value_or("");
  host = host.substr(0, host.find('.'));
  size_t digits = host.find_last_not_of("0123456789") + 1;  // npos + 1 == 0: all digits
  if (digits == host.size() || digits == 0 || host[digits - 1] != '-')
    fail_usage("HOSTNAME='" + host + "' has no '-<ordinal>' suffix to take the rank from (PET_NNODES and "
               "PET_RDZV_ENDPOINT are set); set PET_NODE_RANK instead");
  LaunchInfo info;
  info.source = "HOSTNAME/PET_NNODES/PET_RDZV_ENDPOINT";
  info.world_size = parse_world_size("PET_NNODES", *size);
  info.rank = parse_int("HOSTNAME ordinal", host.substr(digits), 0, INT_MAX);
  Endpoint coordinator = parse_endpoint("PET_RDZV_ENDPOINT", *rdzv);
  info.coordinator_host = coordinator.host;
  info.coordinator_port = coordinator.port;
  return finish(info, "HOSTNAME ordinal", "PET_NNODES", "PET_RDZV_ENDPOINT");
}

}  // namespace

std::optional<std::string> process_env(std::string_view name) {
  if (const char* value = std::getenv(std::string(name).c_str())) return std::string(value);
  if (name == "HOSTNAME") {
    char host[HOST_NAME_MAX + 1] = {};
    if (gethostname(host, sizeof host - 1) == 0) return std::string(host);
  }
  return std::nullopt;
}

LaunchInfo detect_launch(const EnvLookup& getenv) {
  for (auto contract : {from_rank_world, from_pet_node_rank, from_completion_index, from_hostname})
    if (auto info = contract(getenv)) return *info;
  LaunchInfo single;
  single.source = "none (one process)";
  return single;
}

}  // namespace ft::dist
