#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/half.h"
#include "core/error.h"
#include "formats/mapped_file.h"
#include "formats/safetensors.h"
#include "model/config.h"
#include "safetensors_test_util.h"
#include "test_support.h"

namespace fs = std::filesystem;
using ft::test::expect_input_error;
using ft::test::safetensors_image;

namespace {

template <class T>
std::span<const std::byte> as_bytes(const std::vector<T>& v) {
  return std::as_bytes(std::span<const T>(v));
}

// Writes `header` + data to a scratch file and returns its path.
std::string write_image(const fs::path& dir, const std::string& header, size_t data_bytes) {
  const auto path = dir / "t.safetensors";
  ft::test::write_file(path, ft::test::image_string(safetensors_image(header, data_bytes)));
  return path.string();
}

std::vector<std::byte> parse_file_bytes(const std::string& path) {
  const std::string s = ft::test::read_file(path);
  std::vector<std::byte> v(s.size());
  std::memcpy(v.data(), s.data(), s.size());
  return v;
}

}  // namespace

// Byte-for-byte the serialisations the reference crate's own tests pin down.
// A model file the process has no address space left for was reported as a bad file (exit 2);
// it is the process's memory limit (exit 1). In a forked child under an RLIMIT_AS just above
// what it uses (release suite only: ASan reserves terabytes of address space).
TEST(MappedFileLimits, NoAddressSpaceLeftIsAMemoryErrorNotABadFile) {
  const auto dir = ft::test::scratch_dir();
  const std::string path = (dir / "big.safetensors").string();
  {
    const int fd = ::open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::ftruncate(fd, int64_t{1} << 30), 0);  // sparse: no disk used
    ::close(fd);
  }
  const pid_t pid = fork();
  if (pid == 0) {
    std::ifstream status("/proc/self/status");
    int64_t vm_kib = 0;
    for (std::string line; std::getline(status, line);)
      if (line.rfind("VmSize:", 0) == 0) vm_kib = std::stoll(line.substr(7));
    const rlimit limit{.rlim_cur = rlim_t(vm_kib + (256 << 10)) * 1024, .rlim_max = RLIM_INFINITY};
    if (setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    try {
      ft::MappedFile file(path);
      _exit(4);  // mapped 1 GiB under a 256 MiB margin
    } catch (const ft::Error& e) {
      const bool named = std::string(e.what()).find("cannot memory-map it: out of memory") != std::string::npos;
      _exit(e.exit_code() == ft::kExitUsage && named ? 0 : 5);
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "3: setrlimit failed, 4: the map succeeded, 5: wrong code or message";
}

TEST(SafetensorsWrite, MatchesReferenceSerialisation) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<float> values = {0, 1, 2, 3, 4, 5};
  ft::write_safetensors((dir / "a.safetensors").string(), {{"attn.0", ft::DType::F32, {1, 2, 3}, as_bytes(values)}});
  const std::string header = R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})";
  std::string expected = ft::test::image_string(safetensors_image(header, 0));
  expected.append(reinterpret_cast<const char*>(values.data()), 24);
  EXPECT_EQ(ft::test::read_file(dir / "a.safetensors"), expected);

  ft::write_safetensors((dir / "m.safetensors").string(), {}, {{"framework", "pt"}});
  EXPECT_EQ(ft::test::read_file(dir / "m.safetensors"),
            ft::test::image_string(safetensors_image(R"({"__metadata__":{"framework":"pt"}}     )", 0)));
  ft::write_safetensors((dir / "e.safetensors").string(), {});
  EXPECT_EQ(ft::test::read_file(dir / "e.safetensors"), ft::test::image_string(safetensors_image("{}      ", 0)));
}

TEST(SafetensorsWrite, RoundTripsEveryDtypeAligned) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<uint16_t> half = {0x3c00, 0xc000, 0x0001};
  const std::vector<float> f32 = {1.5f, -2.25f, 3.0f, 1e-3f, 7.0f, 8.0f};
  const std::vector<uint16_t> bf = {0x3f80, 0x4000, 0xbf80, 0x0000, 0x7f80};
  const std::string path = (dir / "rt.safetensors").string();
  ft::write_safetensors(path,
                        {{"h", ft::DType::F16, {3}, as_bytes(half)},
                         {"w", ft::DType::F32, {2, 3}, as_bytes(f32)},
                         {"b", ft::DType::BF16, {5, 1}, as_bytes(bf)},
                         {"empty", ft::DType::F32, {0, 4}, {}}},
                        {{"format", "pt"}});
  // Only the final file remains: the temp file was renamed into place.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);

  const auto store = ft::WeightStore::open_file(path);
  EXPECT_EQ(store.names(), (std::vector<std::string>{"b", "empty", "h", "w"}));
  const auto& w = store.require("w", {2, 3});
  EXPECT_EQ(w.dtype, ft::DType::F32);
  EXPECT_EQ(std::memcmp(w.bytes.data(), f32.data(), 24), 0);
  EXPECT_EQ(store.require("h").dtype, ft::DType::F16);
  EXPECT_EQ(std::memcmp(store.require("b", {5, 1}).bytes.data(), bf.data(), 10), 0);
  EXPECT_EQ(store.require("empty").numel(), 0);
  EXPECT_EQ(w.file, path);

  // The F32 tensor sits at a 4-byte-aligned file offset (the writer puts wide dtypes first).
  const auto image = parse_file_bytes(path);
  for (const auto& t : ft::parse_safetensors(image, path)) {
    const auto offset = static_cast<size_t>(t.bytes.data() - image.data());
    EXPECT_EQ(offset % ft::dtype_size(t.dtype), 0u) << t.name;
  }
}

TEST(SafetensorsConvert, Bf16AndF16ConversionIsExact) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<float> f32 = {1.0f, 1.00390625f, 1.01171875f, -0.0f, 65504.0f};
  const std::vector<uint16_t> bf = {0x3f80, 0xc000, 0x7f80, 0x0001};
  // 1, -2, the smallest subnormal, the largest finite fp16 (65504), -inf.
  const std::vector<uint16_t> f16 = {0x3c00, 0xc000, 0x0001, 0x7bff, 0xfc00};
  const std::string path = (dir / "c.safetensors").string();
  ft::write_safetensors(path, {{"f32", ft::DType::F32, {5}, as_bytes(f32)},
                               {"bf16", ft::DType::BF16, {4}, as_bytes(bf)},
                               {"f16", ft::DType::F16, {5}, as_bytes(f16)}});
  const auto store = ft::WeightStore::open_file(path);

  std::vector<uint16_t> out16(5);
  std::vector<float> out32(5);
  ft::WeightStore::copy_to_bf16(store.require("f32"), out16.data());
  // Ties round to even: 1+2^-8 -> 1.0, 1+3*2^-8 -> 1+2^-6; 65504 rounds up to 65536.
  EXPECT_EQ(out16, (std::vector<uint16_t>{0x3f80, 0x3f80, 0x3f82, 0x8000, 0x4780}));
  ft::WeightStore::copy_to_f32(store.require("f32"), out32.data());
  EXPECT_EQ(out32, f32);

  ft::WeightStore::copy_to_f32(store.require("bf16"), out32.data());
  EXPECT_EQ(out32[0], 1.0f);
  EXPECT_EQ(out32[1], -2.0f);
  EXPECT_TRUE(std::isinf(out32[2]));
  EXPECT_EQ(out32[3], std::ldexp(1.0f, -133));
  ft::WeightStore::copy_to_bf16(store.require("bf16"), out16.data());
  EXPECT_EQ(std::vector<uint16_t>(out16.begin(), out16.begin() + 4), bf);

  ft::WeightStore::copy_to_f32(store.require("f16"), out32.data());
  EXPECT_EQ(out32, (std::vector<float>{1.0f, -2.0f, std::ldexp(1.0f, -24), 65504.0f, -INFINITY}));
  ft::WeightStore::copy_to_bf16(store.require("f16"), out16.data());
  EXPECT_EQ(out16, (std::vector<uint16_t>{0x3f80, 0xc000, 0x3380, 0x4780, 0xff80}));
}

TEST(SafetensorsStore, OpensShardedDirectory) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6}, c = {7};
  ft::write_safetensors((dir / "model-00001-of-00002.safetensors").string(),
                        {{"layer.0.w", ft::DType::F32, {2, 2}, as_bytes(a)}, {"layer.0.b", ft::DType::F32, {2}, as_bytes(b)}});
  ft::write_safetensors((dir / "model-00002-of-00002.safetensors").string(), {{"norm", ft::DType::F32, {1}, as_bytes(c)}});
  ft::test::write_file(dir / "model.safetensors.index.json", R"({"metadata": {"total_size": 28}, "weight_map": {
      "layer.0.w": "model-00001-of-00002.safetensors", "layer.0.b": "model-00001-of-00002.safetensors",
      "norm": "model-00002-of-00002.safetensors"}})");

  const auto store = ft::WeightStore::open_dir(dir.string());
  EXPECT_EQ(store.names().size(), 3u);
  EXPECT_TRUE(store.contains("norm"));
  EXPECT_FALSE(store.contains("lm_head.weight"));
  float out = 0;
  ft::WeightStore::copy_to_f32(store.require("norm", {1}), &out);
  EXPECT_EQ(out, 7.0f);
  EXPECT_EQ(store.require("layer.0.w").file, (dir / "model-00001-of-00002.safetensors").string());

  // A listed shard that is missing names the index, the shard and a tensor in it.
  fs::remove(dir / "model-00002-of-00002.safetensors");
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); },
                     {"model.safetensors.index.json", "model-00002-of-00002.safetensors", "norm", "missing"});
}

TEST(SafetensorsStore, IndexErrorsNameTheTensor) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<float> a = {1};
  ft::write_safetensors((dir / "s1.safetensors").string(), {{"x", ft::DType::F32, {1}, as_bytes(a)}});
  ft::test::write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"x": "s1.safetensors", "y": "s1.safetensors"}})");
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); }, {"index.json", "'y'", "s1.safetensors"});
  ft::test::write_file(dir / "model.safetensors.index.json", R"({"weight_map": {"x": "../s1.safetensors"}})");
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); }, {"index.json", "'x'", "inside the model directory"});
  ft::test::write_file(dir / "model.safetensors.index.json", R"({"weights": {}})");
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); }, {"index.json", "weight_map"});
}

TEST(SafetensorsStore, RequireNamesDirectoryTensorAndShapes) {
  const auto dir = ft::test::scratch_dir();
  const std::vector<float> a = {1, 2, 3, 4, 5, 6};
  ft::write_safetensors((dir / "model.safetensors").string(), {{"w", ft::DType::F32, {2, 3}, as_bytes(a)}});
  const auto store = ft::WeightStore::open_dir(dir.string());
  EXPECT_EQ(store.source(), dir.string());
  expect_input_error([&] { store.require("lm_head.weight"); }, {dir.string(), "'lm_head.weight'", "not found"});
  expect_input_error([&] { store.require("w", {3, 2}); }, {"model.safetensors", "'w'", "[2, 3]", "expected [3, 2]"});
  expect_input_error([&] { ft::WeightStore::open_dir((dir / "nope").string()); }, {"nope", "not found"});
  fs::remove(dir / "model.safetensors");
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); }, {dir.string(), "model.safetensors"});
}

TEST(SafetensorsParse, RejectsMalformedFilesNamingFileAndTensor) {
  const auto dir = ft::test::scratch_dir();
  const std::string f = (dir / "t.safetensors").string();
  auto open = [&](const std::string& header, size_t data) {
    write_image(dir, header, data);
    return [f] { ft::WeightStore::open_file(f); };
  };
  auto entry = [](const std::string& name, const std::string& body) { return "{\"" + name + "\":" + body + "}"; };

  expect_input_error([&] { ft::WeightStore::open_file((dir / "absent.safetensors").string()); },
                     {"absent.safetensors", "cannot open"});
  ft::test::write_file(f, "abc");
  expect_input_error([f] { ft::WeightStore::open_file(f); }, {f, "truncated"});
  std::string big_len(8, '\0');
  big_len[4] = 1;  // 2^32 bytes
  ft::test::write_file(f, big_len + "{}");
  expect_input_error([f] { ft::WeightStore::open_file(f); }, {f, "exceeds the 100000000-byte limit"});
  auto img = safetensors_image("{}", 0);
  img[0] = std::byte{200};
  ft::test::write_file(f, ft::test::image_string(img));
  expect_input_error([f] { ft::WeightStore::open_file(f); }, {f, "truncated", "200"});

  expect_input_error(open("{\"a\": nope}", 0), {f, "not valid JSON"});
  expect_input_error(open("[1, 2]", 0), {f, "does not start with '{'"});
  expect_input_error(open(entry("q", R"({"shape":[1],"data_offsets":[0,4]})"), 4), {f, "'q'", "\"dtype\""});
  expect_input_error(open(entry("q", R"({"dtype":"F32","data_offsets":[0,4]})"), 4), {f, "'q'", "\"shape\""});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1]})"), 4), {f, "'q'", "\"data_offsets\""});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":"1","data_offsets":[0,4]})"), 4), {f, "'q'", "shape"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1.5],"data_offsets":[0,4]})"), 4), {f, "'q'", "non-integer"});
  expect_input_error(open(entry("q", R"({"dtype":7,"shape":[1],"data_offsets":[0,4]})"), 4), {f, "'q'", "dtype"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1],"data_offsets":[0]})"), 4), {f, "'q'", "[begin, end]"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[-1],"data_offsets":[0,4]})"), 4), {f, "'q'", "negative"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]})"), 4),
                     {f, "'q'", "overflows"});
  expect_input_error(open(entry("q", R"({"dtype":"I64","shape":[1],"data_offsets":[0,8]})"), 8), {f, "'q'", "I64", "not supported"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[2],"data_offsets":[0,8]})"), 4), {f, "'q'", "past the end"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1],"data_offsets":[8,4]})"), 8), {f, "'q'", "begin 8 > end 4"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[3],"data_offsets":[0,8]})"), 8), {f, "'q'", "needs 12"});
  expect_input_error(open(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                          R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
                     {f, "'b'", "overlaps", "'a'"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1],"data_offsets":[4,8]})"), 8), {f, "'q'", "belong to no tensor"});
  expect_input_error(open(entry("q", R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), 12), {f, "12 bytes", "cover 4"});
  expect_input_error(open(R"({"__metadata__":{"k":1}})", 0), {f, "__metadata__", "'k'"});

  // The same header with consistent offsets parses.
  EXPECT_NO_THROW(open(entry("q", R"({"dtype":"F32","shape":[1],"data_offsets":[0,4]})"), 4)());
}

TEST(SafetensorsParse, DeepNestingIsAnErrorNotAStackOverflow) {
  const std::string header = "{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  const auto img = safetensors_image(header, 0);
  expect_input_error([&] { ft::parse_safetensors(img, "deep.safetensors"); }, {"deep.safetensors", "'a'"});
}

TEST(SafetensorsStore, LoadsStories260k) {
  FT_REQUIRE_SHARED();
  const auto store = ft::WeightStore::open_dir((ft::test::shared_dir() / "models" / "stories260k").string());
  EXPECT_EQ(store.names().size(), 47u);
  EXPECT_FALSE(store.contains("lm_head.weight"));  // tie_word_embeddings
  EXPECT_EQ(store.require("model.embed_tokens.weight", {512, 64}).dtype, ft::DType::F32);
  store.require("model.layers.0.self_attn.q_proj.weight", {64, 64});
  store.require("model.layers.4.self_attn.k_proj.weight", {32, 64});
  store.require("model.layers.2.mlp.gate_proj.weight", {172, 64});
  store.require("model.norm.weight", {64});
  std::vector<float> norm(64);
  ft::WeightStore::copy_to_f32(store.require("model.norm.weight"), norm.data());
  for (float x : norm) EXPECT_TRUE(std::isfinite(x));
}

// The tiny models in tests/fixtures were written by the Python safetensors package (see
// tools/gen_tiny_models.py): reading them, and rewriting them byte-identically, checks both sides
// against the reference implementation.
TEST(SafetensorsStore, MatchesFilesWrittenByThePythonPackage) {
  const auto root = ft::test::fixtures_dir() / "tiny_models";
  for (const char* model : {"llama_gqa_untied", "mistral", "qwen2_bias"}) {
    SCOPED_TRACE(model);
    const auto path = root / model / "model.safetensors";
    const auto store = ft::WeightStore::open_file(path.string());
    std::vector<ft::TensorToWrite> tensors;
    for (const auto& name : store.names()) {  // sorted by name, as the reference writer orders them
      const auto& t = store.require(name);
      tensors.push_back({name, t.dtype, t.shape, t.bytes});
    }
    const auto copy = ft::test::scratch_dir() / "copy.safetensors";
    ft::write_safetensors(copy.string(), tensors, {{"format", "pt"}});
    EXPECT_TRUE(ft::test::read_file(copy) == ft::test::read_file(path));
  }
  const auto sharded = ft::WeightStore::open_dir((root / "llama_sharded_bf16").string());
  EXPECT_EQ(sharded.require("lm_head.weight", {128, 32}).dtype, ft::DType::BF16);
  EXPECT_EQ(sharded.require("model.layers.1.mlp.down_proj.weight", {32, 96}).file,
            (root / "llama_sharded_bf16" / "model-00003-of-00003.safetensors").string());
}

// A FIFO in a weight file's (or config.json's) place blocked the open forever; a directory was
// already refused, only after opening.
TEST(SafetensorsStore, AFifoInAFilesPlaceIsRefusedNotWaitedOn) {
  const fs::path dir = ft::test::scratch_dir();
  ASSERT_EQ(::mkfifo((dir / "model.safetensors").c_str(), 0600), 0);
  expect_input_error([&] { ft::WeightStore::open_dir(dir.string()); }, {"model.safetensors", "not a regular file"});
  ASSERT_EQ(::mkfifo((dir / "config.json").c_str(), 0600), 0);
  expect_input_error([&] { ft::load_model_config((dir / "config.json").string()); },
                     {"config.json", "is not a regular file"});
}
