// On-disk cache of a tokenized dataset so restarts and other ranks skip tokenization. One file per
// key (the data file's sha256, the tokenizer files' sha256 and the formatting options), holding a
// header, the examples' ids, labels and truncation flags, and a sha256 of everything before it.
// Writes are atomic (temp file + rename); a missing, stale or corrupt file is simply a miss.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "data/example_tokens.h"

namespace ft::data {

struct TokenizedRecords {
  std::vector<TokenizedExample> examples;  // one per record, in file order
  std::vector<uint8_t> truncated;          // 1 when the record was cut at max_seq_length
};

std::string token_cache_path(const std::string& cache_dir, const std::string& key);

// nullopt when absent or unusable; `problem` then says why if the file existed.
std::optional<TokenizedRecords> read_token_cache(const std::string& path, const std::string& key,
                                                 std::string& problem);

// Returns "" when written, else why not (naming the file and the system's reason): the cache only
// saves the next run the tokenizing, so a full or read-only cache directory is not an error.
std::string write_token_cache(const std::string& path, const std::string& key, const TokenizedRecords& t);

}  // namespace ft::data
