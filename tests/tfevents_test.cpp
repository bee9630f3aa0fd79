// TfEventsWriter: decodes the written file frame by frame (length, masked CRC32C of the length,
// data, masked CRC32C of the data) and the Event/Summary protobufs by hand, independently of the
// writer's encoder. tools/read_tfevents.py checks the same file with TensorBoard's own reader.
#include "formats/tfevents.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/error.h"
#include "test_support.h"

namespace ft {
namespace {

namespace fs = std::filesystem;

// A protobuf field as read from the wire: varint/fixed values in `number`, bytes in `bytes`.
struct Field {
  uint32_t id = 0, wire_type = 0;
  uint64_t number = 0;
  std::string bytes;
};

uint64_t read_varint(const std::string& s, size_t& pos) {
  uint64_t v = 0;
  for (int shift = 0;; shift += 7) {
    if (pos >= s.size() || shift > 63) throw std::runtime_error("truncated varint");
    const auto b = static_cast<unsigned char>(s[pos++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if (!(b & 0x80)) return v;
  }
}

uint64_t read_fixed(const std::string& s, size_t& pos, size_t width) {
  if (pos + width > s.size()) throw std::runtime_error("truncated fixed field");
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(s[pos + i])} << (8 * i);
  pos += width;
  return v;
}

std::vector<Field> parse_message(const std::string& s) {
  std::vector<Field> fields;
  for (size_t pos = 0; pos < s.size();) {
    Field f;
    const uint64_t key = read_varint(s, pos);
    f.id = static_cast<uint32_t>(key >> 3);
    f.wire_type = static_cast<uint32_t>(key & 7);
    switch (f.wire_type) {
      case 0: f.number = read_varint(s, pos); break;
      case 1: f.number = read_fixed(s, pos, 8); break;
      case 5: f.number = read_fixed(s, pos, 4); break;
      case 2: {
        const uint64_t n = read_varint(s, pos);
        if (pos + n > s.size()) throw std::runtime_error("truncated bytes field");
        f.bytes = s.substr(pos, n);
        pos += n;
        break;
      }
      default: throw std::runtime_error("unexpected wire type " + std::to_string(f.wire_type));
    }
    fields.push_back(f);
  }
  return fields;
}

double as_double(uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, 8);
  return d;
}

float as_float(uint64_t bits) {
  const auto b32 = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &b32, 4);
  return f;
}

std::vector<std::string> read_records(const std::string& file) {
  std::vector<std::string> records;
  for (size_t pos = 0; pos < file.size();) {
    const uint64_t length = read_fixed(file, pos, 8);
    const auto length_crc = static_cast<uint32_t>(read_fixed(file, pos, 4));
    EXPECT_EQ(length_crc, masked_crc32c(file.data() + pos - 12, 8)) << "length CRC at " << pos;
    if (pos + length + 4 > file.size()) throw std::runtime_error("truncated record");
    records.push_back(file.substr(pos, length));
    pos += length;
    const auto data_crc = static_cast<uint32_t>(read_fixed(file, pos, 4));
    EXPECT_EQ(data_crc, masked_crc32c(records.back().data(), length)) << "data CRC of record " << records.size();
  }
  return records;
}

struct Scalar {
  int64_t step;
  double wall_time;
  std::string tag;
  float value;
};

Scalar decode_scalar_event(const std::string& record) {
  Scalar out{};
  int summaries = 0;
  for (const Field& f : parse_message(record)) {
    if (f.id == 1 && f.wire_type == 1) out.wall_time = as_double(f.number);
    if (f.id == 2 && f.wire_type == 0) out.step = static_cast<int64_t>(f.number);
    if (f.id != 5) continue;
    ++summaries;
    const auto values = parse_message(f.bytes);
    EXPECT_EQ(values.size(), 1u);
    for (const Field& v : parse_message(values.at(0).bytes)) {
      if (v.id == 1 && v.wire_type == 2) out.tag = v.bytes;
      if (v.id == 2 && v.wire_type == 5) out.value = as_float(v.number);
    }
  }
  EXPECT_EQ(summaries, 1);
  return out;
}

fs::path only_event_file(const fs::path& dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) files.push_back(e.path());
  EXPECT_EQ(files.size(), 1u);
  return files.at(0);
}

TEST(TfEvents, Crc32cMatchesTheCastagnoliCheckValue) {
  // The standard check input "123456789" and the iSCSI (RFC 3720 B.4) all-zero vector.
  EXPECT_EQ(crc32c("123456789", 9), 0xe3069283u);
  const std::string zeros(32, '\0');
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8a9136aau);
  const uint32_t c = crc32c("123456789", 9);
  EXPECT_EQ(masked_crc32c("123456789", 9), ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST(TfEvents, FileIsNamedLikeTensorBoardsAndStartsWithTheFileVersion) {
  const fs::path dir = test::scratch_dir() / "runs" / "nested";
  std::string path;
  {
    TfEventsWriter writer(dir.string());
    path = writer.path();
  }
  const fs::path file = only_event_file(dir);
  EXPECT_EQ(file.string(), path);
  const std::string name = file.filename().string();
  EXPECT_EQ(name.rfind("events.out.tfevents.", 0), 0u) << name;
  EXPECT_NE(name.find("." + std::to_string(getpid()) + ".0"), std::string::npos) << name;

  const auto records = read_records(test::read_file(file));
  ASSERT_EQ(records.size(), 1u);
  std::string version;
  for (const Field& f : parse_message(records[0]))
    if (f.id == 3 && f.wire_type == 2) version = f.bytes;
  EXPECT_EQ(version, "brain.Event:2");
}

TEST(TfEvents, ScalarsRoundTripThroughFramesAndProtobuf) {
  const fs::path dir = test::scratch_dir();
  const std::vector<Scalar> written = {{1, 1764480000.25, "train/loss", 2.5f},
                                       {2, 1764480001.5, "train/learning_rate", 1.9e-4f},
                                       {300, 1764480002.0, "eval/perplexity", 8.17f},
                                       {5000000000LL, 1764480003.0, "train/peak_rss_mb", 1234.5f}};
  {
    TfEventsWriter writer(dir.string());
    for (const Scalar& s : written) writer.add_scalar(s.tag, s.step, s.value, s.wall_time);
    writer.flush();
  }
  const auto records = read_records(test::read_file(only_event_file(dir)));
  ASSERT_EQ(records.size(), written.size() + 1);
  for (size_t i = 0; i < written.size(); ++i) {
    const Scalar got = decode_scalar_event(records[i + 1]);
    EXPECT_EQ(got.tag, written[i].tag);
    EXPECT_EQ(got.step, written[i].step);
    EXPECT_EQ(got.wall_time, written[i].wall_time);
    EXPECT_EQ(got.value, written[i].value);
  }
}

TEST(TfEvents, FlushMakesRecordsVisibleWhileTheWriterIsOpen) {
  const fs::path dir = test::scratch_dir();
  TfEventsWriter writer(dir.string());
  writer.add_scalar("train/loss", 7, 1.25, 1.0);
  writer.flush();
  const auto records = read_records(test::read_file(writer.path()));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(decode_scalar_event(records[1]).value, 1.25f);
}

TEST(TfEvents, UnwritableDirectoryIsAOneLineErrorNamingIt) {
  const fs::path blocker = test::scratch_dir() / "a_file";
  test::write_file(blocker, "x");
  try {
    TfEventsWriter writer((blocker / "runs").string());
    FAIL() << "expected ft::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find((blocker / "runs").string()), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// Run by ctest's tfevents_tensorboard (tests/report.cmake), which prepares the venv and sets
// FT_TENSORBOARD_READER to tools/read_tfevents.py.
TEST(TfEventsTensorBoard, TensorBoardsReaderSeesTheTrainerTags) {
  const char* reader = std::getenv("FT_TENSORBOARD_READER");
  if (!reader) GTEST_SKIP() << "needs TensorBoard in a venv: run `ctest -R tfevents_tensorboard`";
  const fs::path dir = test::scratch_dir() / "runs";
  const std::vector<std::string> tags = {"train/loss",        "train/learning_rate",      "train/grad_norm",
                                         "train/epoch",       "train/tokens_per_second", "train/peak_rss_mb",
                                         "eval/loss",         "eval/perplexity"};
  const auto value_of = [](size_t tag, int64_t step) { return 0.37 * static_cast<double>(tag + 1) + 1e-3 * step; };
  {
    TfEventsWriter writer(dir.string());
    for (int64_t step = 5; step <= 25; step += 5)
      for (size_t t = 0; t < tags.size(); ++t) writer.add_scalar(tags[t], step, value_of(t, step), 1764480000.5 + step);
  }
  const fs::path out = dir.parent_path() / "scalars.json";
  const std::string cmd = std::string("/usr/bin/python3 ") + reader + " " + dir.string() + " > " + out.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  const auto scalars = nlohmann::json::parse(test::read_file(out));
  ASSERT_EQ(scalars.size(), tags.size()) << scalars.dump();
  for (size_t t = 0; t < tags.size(); ++t) {
    const auto& events = scalars.at(tags[t]);
    ASSERT_EQ(events.size(), 5u) << tags[t];
    for (size_t i = 0; i < events.size(); ++i) {
      const int64_t step = 5 * static_cast<int64_t>(i + 1);
      EXPECT_EQ(events[i].at("step").get<int64_t>(), step) << tags[t];
      EXPECT_EQ(events[i].at("value").get<double>(), static_cast<double>(static_cast<float>(value_of(t, step))))
          << tags[t] << " step " << step;
      EXPECT_EQ(events[i].at("wall_time").get<double>(), 1764480000.5 + static_cast<double>(step));
    }
  }
}

}  // namespace
}  // namespace ft
