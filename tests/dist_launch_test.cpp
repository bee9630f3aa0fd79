// detect_launch over every launch contract in the order, and the configuration errors
// (exit code 1, naming the variables) that must never be retried.
#include <gtest/gtest.h>

#include <map>

#include "core/error.h"
#include "dist/communicator.h"

namespace ft::dist {
namespace {

LaunchInfo detect(const std::map<std::string, std::string>& vars) {
  return detect_launch([&](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  });
}

// The message of the usage error detect() throws for `vars`.
std::string usage_error(const std::map<std::string, std::string>& vars) {
  try {
    detect(vars);
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitUsage) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

// Checks every field, so a contract cannot silently fill one from the wrong variable.
void expect_launch(const LaunchInfo& info, int rank, int world_size, const std::string& host, int port,
                   const std::string& source) {
  EXPECT_EQ(info.rank, rank);
  EXPECT_EQ(info.world_size, world_size);
  EXPECT_EQ(info.coordinator_host, host);
  EXPECT_EQ(info.coordinator_port, port);
  EXPECT_EQ(info.source, source);
}

TEST(DistLaunch, NothingSetIsOneProcess) {
  expect_launch(detect({}), 0, 1, "", 29500, "none (one process)");
}

TEST(DistLaunch, PyTorchJobMasterContract) {
  expect_launch(detect({{"RANK", "2"}, {"WORLD_SIZE", "4"}, {"MASTER_ADDR", "job-master-0"}, {"MASTER_PORT", "23456"}}),
                2, 4, "job-master-0", 23456, "RANK/WORLD_SIZE");
}

TEST(DistLaunch, MasterPortDefaultsTo29500) {
  EXPECT_EQ(detect({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).coordinator_port, 29500);
}

TEST(DistLaunch, WorldSizeOneNeedsNoCoordinator) {
  expect_launch(detect({{"RANK", "0"}, {"WORLD_SIZE", "1"}, {"MASTER_ADDR", "ignored"}}), 0, 1, "", 29500,
                "RANK/WORLD_SIZE");
}

TEST(DistLaunch, RankWorldSizeWinsOverLaterContracts) {
  expect_launch(detect({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "a"}, {"PET_NODE_RANK", "0"},
                        {"PET_NNODES", "3"}, {"PET_MASTER_ADDR", "b"}, {"JOB_COMPLETION_INDEX", "2"}}),
                1, 2, "a", 29500, "RANK/WORLD_SIZE");
}

TEST(DistLaunch, KubeflowTrainerContract) {
  expect_launch(detect({{"PET_NODE_RANK", "1"}, {"PET_NNODES", "3"}, {"PET_MASTER_ADDR", "trainer-node-0-0.svc"},
                        {"PET_MASTER_PORT", "29400"}, {"JOB_COMPLETION_INDEX", "0"}}),
                1, 3, "trainer-node-0-0.svc", 29400, "PET_NODE_RANK/PET_NNODES");
}

TEST(DistLaunch, CompletionIndexWithEitherWorldSize) {
  expect_launch(detect({{"JOB_COMPLETION_INDEX", "3"}, {"PET_NNODES", "4"}, {"PET_MASTER_ADDR", "job-0.job"}}), 3, 4,
                "job-0.job", 29500, "JOB_COMPLETION_INDEX/PET_NNODES");
  expect_launch(detect({{"JOB_COMPLETION_INDEX", "1"}, {"WORLD_SIZE", "2"}, {"PET_RDZV_ENDPOINT", "job-0.job:1234"}}),
                1, 2, "job-0.job", 1234, "JOB_COMPLETION_INDEX/WORLD_SIZE");
}

TEST(DistLaunch, HostnameOrdinalWithRendezvousEndpoint) {
  expect_launch(detect({{"HOSTNAME", "llama-ft-worker-3"}, {"PET_NNODES", "4"},
                        {"PET_RDZV_ENDPOINT", "llama-ft-worker-0:29400"}}),
                3, 4, "llama-ft-worker-0", 29400, "HOSTNAME/PET_NNODES/PET_RDZV_ENDPOINT");
}

// The training operator's elastic form sets PET_NNODES to "min:max" (generateEnvNNodes); the
// trainer refused even "3:3" as not an integer, so no elastic job could start.
TEST(DistLaunch, ElasticNodeCountsAreAFixedSizeOrAClearRefusal) {
  expect_launch(detect({{"HOSTNAME", "ft-pytorchjob-worker-1"}, {"PET_NNODES", "3:3"},
                        {"PET_RDZV_ENDPOINT", "ft-pytorchjob-worker-0:23456"}}),
                1, 3, "ft-pytorchjob-worker-0", 23456, "HOSTNAME/PET_NNODES/PET_RDZV_ENDPOINT");
  const std::string range = usage_error({{"HOSTNAME", "ft-pytorchjob-worker-1"}, {"PET_NNODES", "2:4"},
                                         {"PET_RDZV_ENDPOINT", "ft-pytorchjob-worker-0:23456"}});
  EXPECT_NE(range.find("PET_NNODES='2:4' is an elastic range"), std::string::npos) << range;
  EXPECT_NE(range.find("minReplicas and maxReplicas both"), std::string::npos) << range;
  EXPECT_NE(usage_error({{"PET_NODE_RANK", "0"}, {"PET_NNODES", "3:x"}}).find("PET_NNODES"), std::string::npos);
}

// A port in MASTER_ADDR was resolved as part of a host name until --dist_timeout, then reported
// as a retryable network failure.
TEST(DistLaunch, AnAddressWithAPortOrSpacesIsAUsageError) {
  EXPECT_NE(usage_error({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1:29500"}})
                .find("MASTER_ADDR='127.0.0.1:29500' is not a host name or address; give the port in MASTER_PORT"),
            std::string::npos);
  EXPECT_NE(usage_error({{"PET_NODE_RANK", "1"}, {"PET_NNODES", "2"}, {"PET_MASTER_ADDR", "bad host"}})
                .find("PET_MASTER_ADDR='bad host' is not a host name or address"),
            std::string::npos);
  expect_launch(detect({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "fd00::1"}}), 1, 2, "fd00::1", 29500,
                "RANK/WORLD_SIZE");
}

TEST(DistLaunch, HostnameDomainIsIgnoredAndIpv6EndpointParses) {
  expect_launch(detect({{"HOSTNAME", "w-12.example.org"}, {"PET_NNODES", "16"}, {"PET_RDZV_ENDPOINT", "[fd00::1]:7000"}}),
                12, 16, "fd00::1", 7000, "HOSTNAME/PET_NNODES/PET_RDZV_ENDPOINT");
}

TEST(DistLaunch, ErrorsNameTheVariables) {
  EXPECT_NE(usage_error({{"RANK", "1"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(usage_error({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("RANK"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "2"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("RANK=2"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "x"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("RANK='x'"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "-1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}}).find("RANK"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "0"}, {"WORLD_SIZE", "0"}}).find("WORLD_SIZE='0'"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "0"}, {"WORLD_SIZE", "2"}}).find("MASTER_ADDR"), std::string::npos);
  EXPECT_NE(usage_error({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "70000"}})
                .find("MASTER_PORT"),
            std::string::npos);
  EXPECT_NE(usage_error({{"PET_NODE_RANK", "0"}}).find("PET_NNODES"), std::string::npos);
  EXPECT_NE(usage_error({{"PET_NODE_RANK", "0"}, {"PET_NNODES", "2"}}).find("PET_MASTER_ADDR"), std::string::npos);
  EXPECT_NE(usage_error({{"JOB_COMPLETION_INDEX", "0"}}).find("WORLD_SIZE"), std::string::npos);
  EXPECT_NE(usage_error({{"JOB_COMPLETION_INDEX", "5"}, {"PET_NNODES", "2"}, {"MASTER_ADDR", "h"}})
                .find("JOB_COMPLETION_INDEX=5"),
            std::string::npos);
  EXPECT_NE(usage_error({{"PET_NNODES", "2"}}).find("PET_RDZV_ENDPOINT"), std::string::npos);
  EXPECT_NE(usage_error({{"PET_NNODES", "2"}, {"PET_RDZV_ENDPOINT", "h:1"}, {"HOSTNAME", "worker"}}).find("HOSTNAME"),
            std::string::npos);
  EXPECT_NE(usage_error({{"PET_NNODES", "2"}, {"PET_RDZV_ENDPOINT", ":29400"}, {"HOSTNAME", "w-0"}})
                .find("PET_RDZV_ENDPOINT"),
            std::string::npos);
  EXPECT_NE(usage_error({{"PET_NNODES", "2"}, {"PET_RDZV_ENDPOINT", "h:1"}, {"HOSTNAME", "w-2"}}).find("PET_NNODES=2"),
            std::string::npos);
}

TEST(DistLaunch, ProcessEnvFallsBackToTheHostName) {
  // HOSTNAME is usually not exported to child processes; the contract must still find the name.
  auto host = process_env("HOSTNAME");
  ASSERT_TRUE(host.has_value());
  EXPECT_FALSE(host->empty());
  EXPECT_FALSE(process_env("FT_SURELY_UNSET_VARIABLE_1234").has_value());
}

}  // namespace
}  // namespace ft::dist
