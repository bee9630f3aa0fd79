// TensorBoard event file writer: TFRecord framing (u64 length, masked CRC32C of the length, data,
// masked CRC32C of the data) around Event{wall_time, step, file_version | summary{value{tag,
// simple_value}}} protobufs encoded by hand, so no protobuf library is needed.
// The file is events.out.tfevents.<unix time>.<hostname>.<pid>.0 in `dir` (TensorBoard's naming);
// its first record is the brain.Event:2 file_version event. Errors opening or writing the file
// throw ft::Error naming the file.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

namespace ft {

class TfEventsWriter {
 public:
  // Creates dir (and parents) and the event file, writing the file_version record first.
  explicit TfEventsWriter(const std::string& dir);
  ~TfEventsWriter();
  TfEventsWriter(const TfEventsWriter&) = delete;
  TfEventsWriter& operator=(const TfEventsWriter&) = delete;

  void add_scalar(const std::string& tag, int64_t step, double value, double wall_time);
  // fflush only: TensorBoard tolerates a partial last record, so fsync is not needed.
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& data);

  std::string path_;
  std::FILE* file_ = nullptr;
};

// The CRC32C (Castagnoli) of `data` and TFRecord's masked form of it: rotate right by 15, add
// 0xa282ead8. Exposed for tests that decode the frames independently.
uint32_t crc32c(const void* data, size_t size);
uint32_t masked_crc32c(const void* data, size_t size);

}  // namespace ft
