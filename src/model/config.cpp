// config.json → ModelConfig, following the defaults of transformers' LlamaConfig, MistralConfig and
// Qwen2Config, and the RoPE frequency formulas of transformers' modeling_rope_utils.
#include "model/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <numbers>
#include <sstream>

#include "core/error.h"

namespace ft {

namespace {

using nlohmann::json;

// Per-architecture defaults for fields a config.json may omit (the config classes' __init__ args).
struct ArchDefaults {
  const char* architecture;
  const char* model_type;
  int max_position_embeddings;
};

constexpr ArchDefaults kArchitectures[] = {
    {"LlamaForCausalLM", "llama", 2048},
    {"MistralForCausalLM", "mistral", 4096 * 32},
    {"Qwen2ForCausalLM", "qwen2", 32768},
};

std::string supported_list() {
  std::string s;
  for (const auto& a : kArchitectures) s += (s.empty() ? "" : ", ") + std::string(a.architecture);
  return s;
}

class Reader {
 public:
  Reader(const json& root, const std::string& path) : root_(root), path_(path) {}

  bool has(const char* field) const { return root_.contains(field) && !root_.at(field).is_null(); }

  [[noreturn]] void fail(const std::string& field, const std::string& what) const {
    fail_input(path_, "field \"" + field + "\" " + what);
  }

  // An integer field (an integral float such as 4096.0 is accepted too).
  long long integer(const json& v, const std::string& field) const {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<long long>(d);
    }
    fail(field, "must be an integer, got " + v.dump());
  }

  int positive_int(const char* field, int fallback = 0) const {
    if (!has(field)) {
      if (fallback > 0) return fallback;
      fail(field, "is missing; it is required for this architecture");
    }
    const long long v = integer(root_.at(field), field);
    if (v <= 0 || v > std::numeric_limits<int>::max()) fail(field, "must be a positive integer, got " + std::to_string(v));
    return static_cast<int>(v);
  }

  double positive_number(const json& obj, const char* field, double fallback, bool required,
                         const std::string& prefix = "") const {
    if (!obj.contains(field) || obj.at(field).is_null()) {
      if (required) fail(prefix + field, "is missing");
      return fallback;
    }
    const json& v = obj.at(field);
    if (!v.is_number()) fail(prefix + field, "must be a number, got " + v.dump());
    const double d = v.get<double>();
    if (!(d > 0) || !std::isfinite(d)) fail(prefix + field, "must be a positive number, got " + v.dump());
    return d;
  }

  bool boolean(const char* field, bool fallback) const {
    if (!has(field)) return fallback;
    if (!root_.at(field).is_boolean()) fail(field, "must be true or false, got " + root_.at(field).dump());
    return root_.at(field).get<bool>();
  }

  std::string string(const char* field) const {
    if (!has(field)) return "";
    if (!root_.at(field).is_string()) fail(field, "must be a string, got " + root_.at(field).dump());
    return root_.at(field).get<std::string>();
  }

  const json& root() const { return root_; }

 private:
  const json& root_;
  const std::string& path_;
};

const ArchDefaults& read_architecture(const Reader& r) {
  std::string name;
  if (r.has("architectures")) {
    const json& a = r.root().at("architectures");
    if (!a.is_array() || a.empty() || !a[0].is_string())
      r.fail("architectures", "must be a non-empty list of class names such as [\"LlamaForCausalLM\"]");
    name = a[0].get<std::string>();
  } else {
    const std::string model_type = r.string("model_type");
    for (const auto& arch : kArchitectures)
      if (model_type == arch.model_type) return arch;
    r.fail("architectures", "is missing and model_type '" + model_type + "' is not one of llama, mistral, qwen2");
  }
  for (const auto& arch : kArchitectures)
    if (name == arch.architecture) return arch;
  r.fail("architectures", "names unsupported architecture " + name + "; supported: " + supported_list());
}

// rope_scaling (transformers <= 4.x) or rope_parameters (5.x); "type" is the older key of
// "rope_type". Only the kinds whose frequencies we compute are accepted.
RopeScaling read_rope_scaling(const Reader& r, const json& s, const std::string& field) {
  RopeScaling out;
  if (!s.is_object()) r.fail(field, "must be null or an object with rope_type and factor");
  std::string type;
  for (const char* key : {"rope_type", "type"})
    if (type.empty() && s.contains(key)) {
      if (!s.at(key).is_string()) r.fail(field + "." + key, "must be a string");
      type = s.at(key).get<std::string>();
    }
  if (type.empty() || type == "default") return out;
  const std::string prefix = field + ".";
  if (type != "linear" && type != "llama3")
    r.fail(field, "has rope_type '" + type + "', which is not supported; supported: default, linear, llama3");
  out.type = type;
  out.factor = r.positive_number(s, "factor", 1.0, true, prefix);
  if (type == "llama3") {
    out.low_freq_factor = r.positive_number(s, "low_freq_factor", 1.0, true, prefix);
    out.high_freq_factor = r.positive_number(s, "high_freq_factor", 4.0, true, prefix);
    if (out.high_freq_factor <= out.low_freq_factor)
      r.fail(prefix + "high_freq_factor", "must be greater than low_freq_factor");
    const double original = r.positive_number(s, "original_max_position_embeddings", 0, true, prefix);
    if (original != std::floor(original) || original > std::numeric_limits<int>::max())
      r.fail(prefix + "original_max_position_embeddings", "must be a positive integer");
    out.original_max_position_embeddings = static_cast<int>(original);
  }
  return out;
}

std::vector<int> read_eos(const Reader& r) {
  if (!r.has("eos_token_id")) return {};
  const json& v = r.root().at("eos_token_id");
  std::vector<int> ids;
  auto add = [&](const json& id) {
    const long long x = r.integer(id, "eos_token_id");
    if (x < 0 || x > std::numeric_limits<int>::max()) r.fail("eos_token_id", "must be a token id >= 0");
    ids.push_back(static_cast<int>(x));
  };
  if (v.is_array())
    for (const json& id : v) add(id);
  else
    add(v);
  return ids;
}

// In N = long long for the count, in double to check a config's sizes before anything multiplies
// them in 64-bit integers.
template <class N>
N count_parameters(const ModelConfig& c) {
  const N C = c.hidden_size, V = c.vocab_size, I = c.intermediate_size;
  const N q_out = static_cast<N>(c.num_attention_heads) * c.head_dim;
  const N kv_out = static_cast<N>(c.num_key_value_heads) * c.head_dim;
  N layer = C * q_out + 2 * C * kv_out + q_out * C + 3 * C * I + 2 * C;
  if (c.attention_bias) layer += q_out + 2 * kv_out + (c.model_type == "qwen2" ? 0 : C);
  if (c.mlp_bias) layer += 2 * I + C;
  return V * C + c.num_hidden_layers * layer + C + (c.tie_word_embeddings ? 0 : V * C);
}

}  // namespace

ModelConfig parse_model_config(const std::string& json_text, const std::string& path) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) fail_input(path, "not valid JSON; is this a Hugging Face config.json?");
  if (!root.is_object()) fail_input(path, "must be a JSON object");
  const Reader r(root, path);

  ModelConfig c;
  const ArchDefaults& arch = read_architecture(r);
  c.architecture = arch.architecture;
  c.model_type = arch.model_type;

  const std::string act = r.string("hidden_act");
  if (!act.empty() && act != "silu")
    r.fail("hidden_act", "is '" + act + "'; only silu (the Llama-family MLP) is supported");

  c.hidden_size = r.positive_int("hidden_size");
  c.intermediate_size = r.positive_int("intermediate_size");
  c.num_hidden_layers = r.positive_int("num_hidden_layers");
  // Per-layer tables are built from this count before any tensor is read (the deepest published
  // models have about 130 layers).
  if (c.num_hidden_layers > 4096)
    r.fail("num_hidden_layers", "is " + std::to_string(c.num_hidden_layers) + "; at most 4096 layers are supported");
  c.num_attention_heads = r.positive_int("num_attention_heads");
  // Without grouped-query attention every head has its own K/V (Mistral's and Qwen2's classes
  // have other __init__ defaults, but their published configs always state the value).
  c.num_key_value_heads = r.positive_int("num_key_value_heads", c.num_attention_heads);
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    r.fail("num_key_value_heads", "(" + std::to_string(c.num_key_value_heads) +
                                      ") must divide num_attention_heads (" +
                                      std::to_string(c.num_attention_heads) + ")");
  if (!r.has("head_dim") && c.hidden_size % c.num_attention_heads != 0)
    r.fail("hidden_size", "(" + std::to_string(c.hidden_size) + ") must be divisible by num_attention_heads (" +
                              std::to_string(c.num_attention_heads) + ") when head_dim is not given");
  c.head_dim = r.positive_int("head_dim", c.hidden_size / c.num_attention_heads);
  if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even for rotary embeddings, got " + std::to_string(c.head_dim));
  c.vocab_size = r.positive_int("vocab_size");
  c.max_position_embeddings = r.positive_int("max_position_embeddings", arch.max_position_embeddings);
  c.rms_norm_eps = r.positive_number(root, "rms_norm_eps", 1e-6, false);

  const bool has_rope_parameters = r.has("rope_parameters");
  const json& rope_source = has_rope_parameters ? root.at("rope_parameters") : root;
  if (has_rope_parameters && !rope_source.is_object())
    r.fail("rope_parameters", "must be an object with rope_type and rope_theta");
  c.rope_theta = r.positive_number(rope_source, "rope_theta", 10000.0, false,
                                   has_rope_parameters ? "rope_parameters." : "");
  if (has_rope_parameters)
    c.rope_scaling = read_rope_scaling(r, rope_source, "rope_parameters");
  else if (r.has("rope_scaling"))
    c.rope_scaling = read_rope_scaling(r, root.at("rope_scaling"), "rope_scaling");

  // All three config classes default tie_word_embeddings to false.
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);
  const bool attention_bias = r.boolean("attention_bias", false);
  const bool mlp_bias = r.boolean("mlp_bias", false);
  if (c.model_type == "llama") {
    c.attention_bias = attention_bias;
    c.mlp_bias = mlp_bias;
  } else if (c.model_type == "qwen2") {
    c.attention_bias = true;  // Qwen2Attention builds q/k/v with bias=True whatever the flag says
  }
  if (c.model_type == "mistral" && r.has("sliding_window"))
    c.sliding_window = r.positive_int("sliding_window");
  if (c.model_type == "qwen2" && r.boolean("use_sliding_window", false))
    c.sliding_window = r.positive_int("sliding_window", 4096);

  c.torch_dtype = r.has("torch_dtype") ? r.string("torch_dtype") : r.string("dtype");
  if (r.has("bos_token_id")) {
    const long long bos = r.integer(root.at("bos_token_id"), "bos_token_id");
    if (bos < 0 || bos > std::numeric_limits<int>::max()) r.fail("bos_token_id", "must be a token id >= 0");
    c.bos_token_id = static_cast<int>(bos);
  }
  c.eos_token_ids = read_eos(r);
  // Sizes are multiplied in 64-bit integers everywhere (tensor sizes, allocations, plans); 2^44
  // parameters (17.6 T) is far past any model and leaves those products room.
  if (const double n = count_parameters<double>(c); n > 0x1p44) {
    char count[32];
    std::snprintf(count, sizeof count, "%.3g", n);
    fail_input(path, std::string("describes ") + count + " parameters (hidden_size " +
                         std::to_string(c.hidden_size) + ", intermediate_size " +
                         std::to_string(c.intermediate_size) + ", vocab_size " +
                         std::to_string(c.vocab_size) + ", num_hidden_layers " +
                         std::to_string(c.num_hidden_layers) + "), beyond 2^44; check these sizes");
  }
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  // Checked before opening: a directory reads as "not valid JSON", a FIFO blocks the open.
  if (std::error_code ec; std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec))
    fail_input(path, "is not a regular file; a Hugging Face model directory holds config.json as a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail_input(path, "cannot open; a Hugging Face model directory must contain config.json");
  std::stringstream text;
  text << in.rdbuf();
  return parse_model_config(text.str(), path);
}

// Mirrors transformers in fp32: inv_freq = 1 / base^(float(2i)/dim), then the llama3 rule scales
// low frequencies by 1/factor, keeps high ones, and blends the band between.
std::vector<float> ModelConfig::rope_inv_freq() const {
  const int dim = head_dim;
  std::vector<float> inv(static_cast<size_t>(dim / 2));
  const float base = static_cast<float>(rope_theta);
  for (int i = 0; i < dim / 2; ++i)
    inv[i] = 1.0f / std::pow(base, static_cast<float>(2 * i) / static_cast<float>(dim));

  const auto factor = static_cast<float>(rope_scaling.factor);
  if (rope_scaling.type == "linear") {
    for (float& f : inv) f /= factor;
  } else if (rope_scaling.type == "llama3") {
    const auto low = static_cast<float>(rope_scaling.low_freq_factor);
    const auto high = static_cast<float>(rope_scaling.high_freq_factor);
    const auto old_context = static_cast<float>(rope_scaling.original_max_position_embeddings);
    const float low_freq_wavelen = old_context / low;
    const float high_freq_wavelen = old_context / high;
    for (float& f : inv) {
      const float wavelen = 2.0f * std::numbers::pi_v<float> / f;
      if (wavelen > low_freq_wavelen) {
        f /= factor;
      } else if (wavelen >= high_freq_wavelen) {
        const float smooth = (old_context / wavelen - low) / (high - low);
        f = (1.0f - smooth) * f / factor + smooth * f;
      }
    }
  }
  return inv;
}

long long ModelConfig::parameter_count() const { return count_parameters<long long>(*this); }

}  // namespace ft
