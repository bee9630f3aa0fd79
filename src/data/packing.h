// Turning tokenized examples into training sequences (rows before padding).
//   none:     one example per sequence.
//   concat:   the reference --dataset_concatenation: all examples joined and cut into blocks of
//             max_seq_length, the remainder dropped; attention spans documents.
//   document: examples packed whole into blocks of at most max_seq_length (best-fit decreasing);
//             positions restart at 0 and a segment id per example lets attention mask across
//             documents, so each example sees exactly what it would see alone.
// Labels follow the HF convention (aligned with ids; the loss predicts labels[t+1] from position
// t). In document packing the first label of every segment is -100, so no target crosses a
// document boundary, exactly as in unpacked batches where label 0 is never a target.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "data/example_tokens.h"

namespace ft::data {

enum class PackingMode { kNone, kConcat, kDocument };
PackingMode parse_packing_mode(std::string_view name);  // none|concat|document, else exit 1
const char* packing_mode_name(PackingMode mode);

struct Sequence {
  std::vector<int32_t> ids, labels;
  std::vector<int32_t> positions;  // RoPE positions
  std::vector<int32_t> segments;   // document index within the sequence (0, 1, ...)
  size_t size() const { return ids.size(); }
};

std::vector<Sequence> pack_examples(const std::vector<TokenizedExample>& examples, PackingMode mode,
                                    int max_seq_length);

}  // namespace ft::data
