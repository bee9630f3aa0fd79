// Files (JSON configs, copied tokenizer files, safetensors) written atomically: a temp file in the same
// directory, fsync, rename over the final name, so readers never see a half-written file. And
// lines appended to a log file whole, each on a line of its own.
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
// Appends `line` and a newline to `path` (created if missing), after a newline of its own when
// the file's last line was cut short (a run that died mid-write); write errors, including those
// only a flush reveals (a full disk), are an ft::Error naming `path`.
void append_line(const std::string& path, std::string_view line);

}  // namespace ft
