// Where the Hub is and how to reach it, read from the same environment variables as the Python
// huggingface_hub library so both share one cache and one token: HF_ENDPOINT, HF_HUB_CACHE /
// HF_HOME, HF_HUB_OFFLINE, HF_TOKEN / $HF_HOME/token / ~/.cache/huggingface/token.
#pragma once
#include <filesystem>
#include <string>

namespace ft::hub {

struct HubEnv {
  std::string endpoint;               // no trailing slash; default https://huggingface.co
  std::filesystem::path cache_dir;    // the hub cache (holds models--org--name/...)
  bool offline = false;               // HF_HUB_OFFLINE=1/true/yes/on
  std::string token;                  // empty when none; never printed or logged

  static HubEnv from_environment();
};

}  // namespace ft::hub
