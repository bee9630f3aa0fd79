#include "text/stream_decoder.h"

#include "text/utf8.h"

namespace ft {

std::string StreamDecoder::decode_range(std::size_t begin, std::size_t end) const {
  return tokenizer_.decode(std::vector<int>(ids_.begin() + static_cast<std::ptrdiff_t>(begin),
                                            ids_.begin() + static_cast<std::ptrdiff_t>(end)),
                           skip_special_);
}

std::string StreamDecoder::push(int id) {
  ids_.push_back(id);
  const std::string before = decode_range(prefix_begin_, read_end_);
  const std::string now = decode_range(prefix_begin_, ids_.size());
  // A trailing U+FFFD means the last character is still missing bytes: wait for more ids.
  const bool incomplete = now.size() >= utf8::kReplacement.size() &&
                          now.compare(now.size() - utf8::kReplacement.size(),
                                      utf8::kReplacement.size(), utf8::kReplacement) == 0;
  if (incomplete || now.size() <= before.size() || now.compare(0, before.size(), before) != 0)
    return {};
  prefix_begin_ = read_end_;
  read_end_ = ids_.size();
  return now.substr(before.size());
}

std::string StreamDecoder::finish() {
  const std::string before = decode_range(prefix_begin_, read_end_);
  const std::string now = decode_range(prefix_begin_, ids_.size());
  prefix_begin_ = read_end_ = ids_.size();
  if (now.size() <= before.size() || now.compare(0, before.size(), before) != 0) return {};
  return now.substr(before.size());
}

}  // namespace ft
