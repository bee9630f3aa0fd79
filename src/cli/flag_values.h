// Flag conventions shared by the subcommands: Transformers-style booleans (True/False/true/false/
// 1/0; a bare `--do_train` means true), and unknown flags rejected with the closest known name.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>
#include <string_view>
#include <type_traits>

namespace ft::cli {

// Usage error naming the flag when `value` is not a boolean.
bool parse_bool_flag(std::string_view flag, std::string_view value);

// Registers `name` as a boolean taking zero or one value; `target` keeps the text ("" = not given,
// "true" for a bare flag). Read it back with bool_value().
CLI::Option* add_bool_flag(CLI::App& app, const std::string& name, std::string& target,
                           const std::string& help);
bool bool_value(std::string_view flag, const std::string& text, bool default_value);

// For subcommands parsed with allow_extras(): a usage error for the first left-over argument,
// suggesting the closest registered flag ("unknown flag --lerning_rate; did you mean
// --learning_rate?"), and naming the config file when the flag came from one.
void reject_unknown_flags(const CLI::App& app);

// A usage error when `word` (the first argument) is not one of the app's subcommands, suggesting
// the closest ("unknown command 'trian'; did you mean 'train'?"); flags (-x) are left to CLI11.
void reject_unknown_command(const CLI::App& app, std::string_view word);

// The text of a numeric flag must be a number: CLI11 alone read "" as the default, and "-1" or
// 1e30 given to an unsigned integer (a seed) as 2^64 - 1.
CLI::Validator numeric_text(bool unsigned_integer);
// add_option with numeric_text for arithmetic targets (not bool).
template <typename T>
CLI::Option* add_option_checked(CLI::App& app, const std::string& name, T& target, const std::string& help) {
  CLI::Option* o = app.add_option(name, target, help);
  if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) o->check(numeric_text(std::is_unsigned_v<T>));
  return o;
}

// A usage error naming `flag` when `path` exists but is not a directory (an output directory is
// created when missing; a file in its place used to surface as a raw filesystem error).
void check_directory_flag(std::string_view flag, const std::string& path);

// Edit distance counting a swap of neighbours as one edit (exposed for tests).
size_t edit_distance(std::string_view a, std::string_view b);
// Up to three of `candidates` (in their order) that a mistyped `word` plausibly meant: those it
// begins (bf: bf16), those holding its words in order (epochs: num_train_epochs), else the nearest
// by edit distance if within one edit per four characters; none for a word far from all (foo).
std::vector<std::string> suggest_names(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ft::cli
