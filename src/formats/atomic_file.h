// Files (JSON configs, copied tokenizer files, safetensors) written atomically: a temp file in the same
// directory, fsync, rename over the final name, so readers never see a half-written file.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ft {

// I/O failure is an ft::Error (exit 1) naming `path`. The pieces are written in order (a file's
// parts need not be joined in memory first: safetensors headers and tensor data).
void write_file_atomic(const std::string& path, std::span<const std::span<const std::byte>> pieces);
void write_file_atomic(const std::string& path, std::string_view content);
// Copies `from` to `to` atomically; an unreadable source is an ft::Error naming it.
void copy_file_atomic(const std::string& from, const std::string& to);

}  // namespace ft
