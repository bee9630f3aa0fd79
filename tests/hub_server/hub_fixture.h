// Test fixture for the Hub client: a FakeHub serving a tiny model (tests/fixtures/tiny_models/
// llama_gqa_untied + a tokenizer), a gated copy and a dataset, with HF_ENDPOINT pointing at it and
// HOME/HF_HOME in a scratch directory so no real cache, token or network is touched.
#pragma once
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "fake_hub.h"
#include "../test_support.h"

namespace ft::test {

class HubFixture : public ::testing::Test {
 protected:
  static constexpr const char* kModel = "test-org/tiny-llama";
  static constexpr const char* kGated = "test-org/gated-llama";
  static constexpr const char* kDataset = "test-org/alpaca-tiny";

  void SetUp() override {
    scratch_ = scratch_dir();
    for (const char* name : {"HF_ENDPOINT", "HF_HOME", "HF_HUB_CACHE", "HF_TOKEN", "HF_HUB_OFFLINE", "HOME"}) {
      const char* value = std::getenv(name);
      saved_.push_back({name, value ? std::optional<std::string>(value) : std::nullopt});
      ::unsetenv(name);
    }
    ::setenv("HF_ENDPOINT", hub_.endpoint().c_str(), 1);
    ::setenv("HF_HOME", (scratch_ / "hf_home").c_str(), 1);
    ::setenv("HOME", (scratch_ / "home").c_str(), 1);

    const auto model_dir = fixtures_dir() / "tiny_models" / "llama_gqa_untied";
    FakeRepo model;
    model.id = kModel;
    model.commit = "0123456789abcdef0123456789abcdef01234567";
    model.revisions = {"main", "v1"};
    for (const char* name : {"config.json", "generation_config.json", "model.safetensors"})
      model.files[name] = read_file(model_dir / name);
    model.files["tokenizer.json"] = read_file(fixtures_dir() / "tokenizers" / "trained_byte_level.tokenizer.json");
    model.files["README.md"] = "not needed";
    model.files["pytorch_model.bin"] = "not needed either";
    model.lfs = {"model.safetensors", "pytorch_model.bin"};
    hub_.add(model);
    FakeRepo gated = model;
    gated.id = kGated;
    gated.gated = true;
    hub_.add(gated);
    FakeRepo dataset;
    dataset.dataset = true;
    dataset.id = kDataset;
    dataset.commit = "fedcba9876543210fedcba9876543210fedcba98";
    dataset.files = {{"alpaca_small.json", read_file(fixtures_dir() / "data" / "alpaca_small.json")},
                     {"README.md", "# card"},
                     {".gitattributes", "*.json filter=lfs"}};
    dataset.lfs = {"alpaca_small.json"};
    hub_.add(dataset);
  }

  void TearDown() override {
    for (const auto& [name, value] : saved_) {
      if (value) ::setenv(name.c_str(), value->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }

  std::filesystem::path cache() const { return scratch_ / "hf_home" / "hub"; }
  std::string weights() const {
    return read_file(fixtures_dir() / "tiny_models" / "llama_gqa_untied" / "model.safetensors");
  }
  std::string weights_sha() const { return sha256_hex(weights()); }
  size_t count(bool to_cdn, const std::string& path_part) const {
    size_t n = 0;
    for (const auto& r : hub_.requests()) n += r.to_cdn == to_cdn && r.path.find(path_part) != std::string::npos;
    return n;
  }

  FakeHub hub_;
  std::filesystem::path scratch_;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace ft::test
