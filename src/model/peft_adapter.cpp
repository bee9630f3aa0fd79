// adapter_config.json follows PEFT 0.14's LoraConfig.to_dict() written with sort_keys and indent 2;
// fields this engine does not implement (DoRA, rank/alpha patterns, layer subsets, trained biases,
// modules_to_save) are rejected on load rather than silently ignored.
#include "model/peft_adapter.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "formats/atomic_file.h"
#include "formats/safetensors.h"

namespace ft {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json number_as_written(double v) {
  if (std::floor(v) == v && std::fabs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

json adapter_config_json(const LoraConfig& c, const std::string& base_model) {
  json targets = json::array();
  std::vector<std::string> names;
  for (int i = 0; i < kLoraTargetCount; ++i)
    if (c.targets[static_cast<size_t>(i)])
      names.emplace_back(lora_target_name(static_cast<LoraTarget>(i)));
  std::sort(names.begin(), names.end());
  for (const auto& n : names) targets.push_back(n);
  return json{{"alpha_pattern", json::object()},
              {"auto_mapping", nullptr},
              {"base_model_name_or_path", base_model},
              {"bias", "none"},
              {"eva_config", nullptr},
              {"exclude_modules", nullptr},
              {"fan_in_fan_out", false},
              {"inference_mode", true},
              {"init_lora_weights", true},
              {"layer_replication", nullptr},
              {"layers_pattern", nullptr},
              {"layers_to_transform", nullptr},
              {"loftq_config", json::object()},
              {"lora_alpha", number_as_written(c.alpha)},
              {"lora_bias", false},
              {"lora_dropout", c.dropout},
              {"megatron_config", nullptr},
              {"megatron_core", "megatron.core"},
              {"modules_to_save", nullptr},
              {"peft_type", "LORA"},
              {"r", c.rank},
              {"rank_pattern", json::object()},
              {"revision", nullptr},
              {"target_modules", targets},
              {"task_type", "CAUSAL_LM"},
              {"use_dora", false},
              {"use_rslora", c.use_rslora}};
}

json read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path, "cannot open; an adapter directory holds adapter_config.json");
  std::stringstream text;
  text << in.rdbuf();
  json root = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object()) fail_input(path, "not a valid JSON object");
  return root;
}

// The field's value when present and not null.
const json* field(const json& root, const char* name) {
  const auto it = root.find(name);
  return it == root.end() || it->is_null() ? nullptr : &*it;
}

// Rejects a PEFT feature this engine does not implement when the field is set to anything but
// its default.
void require_default(const json& root, const char* name, const json& default_value,
                     const std::string& path) {
  const json* v = field(root, name);
  if (v && *v != default_value && !(v->is_object() && v->empty()) && !(v->is_array() && v->empty()))
    fail_input(path, std::string("field '") + name + "' is " + v->dump() +
                         "; finetune.cpp supports only plain LoRA adapters (" + name + " = " +
                         default_value.dump() + ")");
}

// PEFT matches a string target_modules in full against every module's name (re.fullmatch), e.g.
// ".*\\.(q_proj|v_proj)" or "model.layers.*.self_attn.(q|v)_proj"; read against the first layer's
// names (an adapter that skips layers fails the tensor check when it is loaded). None matched:
// the string is read as module names instead ("all-linear", or a hand-written "q_proj").
LoraTargets regex_targets(const std::string& pattern, const std::string& path) {
  LoraTargets found{};
  try {
    const std::regex re(pattern);
    for (int t = 0; t < kLoraTargetCount; ++t) {
      const std::string key = "model.layers.0." + std::string(lora_target_parent(LoraTarget(t))) + "." +
                              std::string(lora_target_name(LoraTarget(t)));
      found[size_t(t)] = std::regex_match(key, re);
    }
  } catch (const std::regex_error& e) {
    fail_input(path, "field 'target_modules' (\"" + pattern + "\") is not a regular expression this tool reads: " +
                         e.what());
  }
  return found;
}

LoraConfig parse_adapter_config(const json& root, const std::string& path) {
  const json* type = field(root, "peft_type");
  if (!type || !type->is_string() || *type != "LORA")
    fail_input(path, "peft_type is " + (type ? type->dump() : std::string("missing")) +
                         "; only LORA adapters are supported");
  LoraConfig c;
  const json* r = field(root, "r");
  if (!r || !r->is_number_integer() || r->get<int64_t>() < 1 || r->get<int64_t>() > 65536)
    fail_input(path, "field 'r' must be a positive integer (the LoRA rank)");
  c.rank = r->get<int>();
  const json* alpha = field(root, "lora_alpha");
  if (!alpha || !alpha->is_number() || !(alpha->get<double>() > 0))
    fail_input(path, "field 'lora_alpha' must be a positive number");
  c.alpha = alpha->get<double>();
  if (const json* d = field(root, "lora_dropout")) {
    if (!d->is_number() || d->get<double>() < 0 || d->get<double>() >= 1)
      fail_input(path, "field 'lora_dropout' must be a number in [0, 1)");
    c.dropout = d->get<double>();
  }
  if (const json* rs = field(root, "use_rslora")) {
    if (!rs->is_boolean()) fail_input(path, "field 'use_rslora' must be true or false");
    c.use_rslora = rs->get<bool>();
  }
  require_default(root, "use_dora", false, path);
  require_default(root, "fan_in_fan_out", false, path);
  require_default(root, "bias", "none", path);
  require_default(root, "lora_bias", false, path);
  require_default(root, "rank_pattern", json::object(), path);
  require_default(root, "alpha_pattern", json::object(), path);
  require_default(root, "layers_to_transform", nullptr, path);
  require_default(root, "layer_replication", nullptr, path);
  require_default(root, "modules_to_save", nullptr, path);
  require_default(root, "exclude_modules", nullptr, path);

  const json* targets = field(root, "target_modules");
  std::vector<std::string> names;
  if (targets && targets->is_string() && (c.targets = regex_targets(targets->get<std::string>(), path)) != LoraTargets{})
    return c;
  if (targets && targets->is_string()) names.push_back(targets->get<std::string>());
  else if (targets && targets->is_array())
    for (const json& t : *targets) {
      if (!t.is_string()) fail_input(path, "field 'target_modules' must list module names");
      names.push_back(t.get<std::string>());
    }
  if (names.empty()) fail_input(path, "field 'target_modules' must name the adapted modules");
  try {
    c.targets = parse_lora_targets(names);
  } catch (const Error& e) {
    fail_input(path, std::string("field 'target_modules': ") + e.what());
  }
  return c;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

// PEFT saves keys without the adapter name; a raw state_dict has "lora_A.default.weight".
std::string without_adapter_name(const std::string& key) {
  for (const char* part : {".lora_A.default.weight", ".lora_B.default.weight"}) {
    const std::string suffix(part);
    if (key.ends_with(suffix))
      return key.substr(0, key.size() - suffix.size()) + suffix.substr(0, 7) + ".weight";
  }
  return key;
}

}  // namespace

void save_peft_adapter(const std::string& dir, const LoraWeights& lora,
                       const std::string& base_model_name_or_path) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error(kExitUsage, dir + ": cannot create the adapter directory (" + ec.message() + ")");
  std::vector<TensorToWrite> tensors;
  for (const LoraTensor& t : lora.tensors()) {
    const size_t bytes = static_cast<size_t>(t.shape[0] * t.shape[1]) * sizeof(float);
    tensors.push_back({t.name, DType::F32, t.shape,
                       {reinterpret_cast<const std::byte*>(t.value), bytes}});
  }
  write_safetensors((fs::path(dir) / kAdapterWeightsFile).string(), tensors, {{"format", "pt"}});
  write_file_atomic((fs::path(dir) / kAdapterConfigFile).string(),
                    adapter_config_json(lora.config(), base_model_name_or_path).dump(2) + "\n");
}

std::unique_ptr<LoraWeights> load_peft_adapter(const std::string& dir, const ModelConfig& config) {
  if (!fs::is_directory(dir))
    fail_input(dir, "adapter directory not found (expected adapter_config.json and "
                    "adapter_model.safetensors)");
  const std::string config_path = (fs::path(dir) / kAdapterConfigFile).string();
  const std::string weights_path = (fs::path(dir) / kAdapterWeightsFile).string();
  auto lora = std::make_unique<LoraWeights>(config, parse_adapter_config(read_json(config_path), config_path));
  if (!fs::exists(weights_path))
    fail_input(weights_path, "missing; finetune.cpp reads adapters saved as safetensors "
                             "(save_pretrained's default), not adapter_model.bin");
  const WeightStore store = WeightStore::open_file(weights_path);

  std::map<std::string, const LoraTensor*> expected;
  for (const LoraTensor& t : lora->tensors()) expected.emplace(t.name, &t);
  std::map<std::string, std::string> stored_key;  // expected name -> key in the file
  for (const std::string& key : store.names()) {
    const std::string name = without_adapter_name(key);
    if (!expected.contains(name))
      fail_input(weights_path, "unexpected tensor '" + key + "': adapter_config.json (r, "
                               "target_modules) does not describe it for this model");
    if (!stored_key.emplace(name, key).second)
      fail_input(weights_path, "tensor '" + key + "' is stored twice (with and without the "
                               "adapter name)");
  }
  for (const auto& [name, t] : expected) {
    const auto it = stored_key.find(name);
    if (it == stored_key.end())
      fail_input(weights_path, "missing tensor '" + name + "' that adapter_config.json "
                               "(target_modules) implies; was the adapter saved for another model?");
    const TensorView& view = store.require(it->second);
    if (view.shape != t->shape)
      fail_input(weights_path, "tensor '" + it->second + "' has shape " + shape_text(view.shape) +
                               " where adapter_config.json (r=" + std::to_string(lora->config().rank) +
                               ") and the model imply " + shape_text(t->shape));
    WeightStore::copy_to_f32(view, t->value);
  }
  return lora;
}

}  // namespace ft
