#include "formats/tfevents.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "core/error.h"

namespace ft {
namespace {

// Protobuf wire types and the field numbers of tensorflow/core/util/event.proto and summary.proto.
constexpr uint32_t kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5;
constexpr uint32_t kEventWallTime = 1, kEventStep = 2, kEventFileVersion = 3, kEventSummary = 5;
constexpr uint32_t kSummaryValue = 1;
constexpr uint32_t kValueTag = 1, kValueSimpleValue = 2;

std::array<uint32_t, 256> make_crc32c_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;  // reflected Castagnoli
    table[i] = c;
  }
  return table;
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_key(std::string& out, uint32_t field, uint32_t wire_type) {
  put_varint(out, (uint64_t{field} << 3) | wire_type);
}

template <typename T>
void put_little_endian(std::string& out, T value) {
  unsigned char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // x86 and every supported target are little-endian
  out.append(reinterpret_cast<const char*>(bytes), sizeof(T));
}

void put_bytes_field(std::string& out, uint32_t field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

std::string event_header(int64_t step, double wall_time) {
  std::string event;
  put_key(event, kEventWallTime, kFixed64);
  put_little_endian(event, wall_time);
  put_key(event, kEventStep, kVarint);
  put_varint(event, static_cast<uint64_t>(step));
  return event;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

}  // namespace

uint32_t crc32c(const void* data, size_t size) {
  static const std::array<uint32_t, 256> table = make_crc32c_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(const void* data, size_t size) {
  const uint32_t c = crc32c(data, size);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

TfEventsWriter::TfEventsWriter(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) fail_usage(dir + ": cannot create the TensorBoard log directory: " + ec.message());
  path_ = (std::filesystem::path(dir) / ("events.out.tfevents." + std::to_string(std::time(nullptr)) +
                                         "." + host_name() + "." + std::to_string(getpid()) + ".0"))
              .string();
  file_ = std::fopen(path_.c_str(), "wb");
  if (!file_) fail_usage(path_ + ": cannot create the TensorBoard event file: " + std::strerror(errno));
  std::string event = event_header(0, static_cast<double>(std::time(nullptr)));
  put_bytes_field(event, kEventFileVersion, "brain.Event:2");
  write_record(event);
  flush();
}

TfEventsWriter::~TfEventsWriter() {
  if (file_) std::fclose(file_);
}

void TfEventsWriter::add_scalar(const std::string& tag, int64_t step, double value, double wall_time) {
  std::string value_msg;
  put_bytes_field(value_msg, kValueTag, tag);
  put_key(value_msg, kValueSimpleValue, kFixed32);
  put_little_endian(value_msg, static_cast<float>(value));
  std::string summary;
  put_bytes_field(summary, kSummaryValue, value_msg);
  std::string event = event_header(step, wall_time);
  put_bytes_field(event, kEventSummary, summary);
  write_record(event);
}

void TfEventsWriter::flush() {
  if (std::fflush(file_) != 0) fail_usage(path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno));
}

void TfEventsWriter::write_record(const std::string& data) {
  std::string frame;
  put_little_endian(frame, uint64_t{data.size()});
  put_little_endian(frame, masked_crc32c(frame.data(), 8));
  frame += data;
  put_little_endian(frame, masked_crc32c(data.data(), data.size()));
  if (std::fwrite(frame.data(), 1, frame.size(), file_) != frame.size())
    fail_usage(path_ + ": cannot write the TensorBoard event file: " + std::strerror(errno));
}

}  // namespace ft
