// GPT-2's reversible byte <-> printable character mapping used by byte-level BPE (Llama 3, Qwen,
// GPT-2, SmolLM): every byte becomes one visible code point, so "Ġ" stands for a space byte.
#pragma once
#include <string>
#include <string_view>

namespace ft::byte_level {

// Each byte of `bytes` replaced by the UTF-8 of its mapped character.
std::string encode(std::string_view bytes);
// Inverse for one token: the bytes its characters stand for, or the token's own UTF-8 when any
// character is outside the mapping (as HF's ByteLevel decoder does for e.g. added tokens).
std::string decode_token(std::string_view token);

}  // namespace ft::byte_level
