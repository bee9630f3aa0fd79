#include "cli/flag_values.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <vector>

#include "cli/config_file.h"
#include "core/error.h"

namespace ft::cli {

bool parse_bool_flag(std::string_view flag, std::string_view value) {
  if (value == "true" || value == "True" || value == "TRUE" || value == "1") return true;
  if (value == "false" || value == "False" || value == "FALSE" || value == "0") return false;
  fail_usage(std::string(flag) + " \"" + std::string(value) + "\" is not a boolean; use true or false");
}

CLI::Option* add_bool_flag(CLI::App& app, const std::string& name, std::string& target,
                           const std::string& help) {
  // A bare flag reaches the function with an empty value: Transformers reads it as true.
  return app
      .add_option_function<std::string>(
          name, [&target](const std::string& v) { target = v.empty() ? "true" : v; }, help + " (true/false)")
      ->expected(0, 1);
}

bool bool_value(std::string_view flag, const std::string& text, bool default_value) {
  return text.empty() ? default_value : parse_bool_flag(flag, text);
}

size_t edit_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment: a swap of two neighbours ("trian") is one edit, as people type it.
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1])});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

namespace {

std::vector<std::string_view> name_parts(std::string_view name) {
  std::vector<std::string_view> parts;
  for (size_t start = 0; start <= name.size();) {
    const size_t end = std::min(name.find_first_of("_-", start), name.size());
    if (end > start) parts.push_back(name.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// True when each part of `word` begins a part of `name`, in order (batch_size in
// per_device_train_batch_size, seq_len in max_seq_length).
bool parts_in_order(std::string_view word, std::string_view name) {
  const auto wanted = name_parts(word), parts = name_parts(name);
  size_t next = 0;
  for (const std::string_view part : parts)
    if (next < wanted.size() && part.starts_with(wanted[next])) ++next;
  return !wanted.empty() && next == wanted.size();
}

std::string either(const std::vector<std::string>& names, const std::string& prefix) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + prefix + names[i];
  return text;
}

}  // namespace

std::vector<std::string> suggest_names(std::string_view word, const std::vector<std::string>& candidates) {
  constexpr size_t kMost = 3;
  std::vector<std::string> found;
  if (word.size() < 2) return found;
  const auto take = [&](auto&& matches) {
    for (const std::string& name : candidates)
      if (found.size() < kMost && matches(name) && std::find(found.begin(), found.end(), name) == found.end())
        found.push_back(name);
  };
  take([&](const std::string& name) { return name.starts_with(word); });
  take([&](const std::string& name) { return parts_in_order(word, name); });
  if (!found.empty()) return found;
  size_t best_distance = SIZE_MAX;
  for (const std::string& name : candidates) best_distance = std::min(best_distance, edit_distance(word, name));
  if (best_distance > std::max<size_t>(1, word.size() / 4)) return found;
  take([&](const std::string& name) { return edit_distance(word, name) == best_distance; });
  return found;
}

void reject_unknown_command(const CLI::App& app, std::string_view word) {
  if (word.empty() || word.front() == '-') return;
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), word) != names.end()) return;
  std::vector<std::string> quoted;
  for (const std::string& name : suggest_names(word, names)) quoted.push_back("'" + name + "'");
  fail_usage("unknown command '" + std::string(word) + "'" +
             (quoted.empty() ? "" : "; did you mean " + either(quoted, "") + "?") +
             " (finetune --help lists the commands)");
}

CLI::Validator numeric_text(bool unsigned_integer) {
  return CLI::Validator(
      [unsigned_integer](std::string& text) -> std::string {
        if (text.find_first_not_of(" \t") == std::string::npos) return "needs a number, got an empty value";
        uint64_t value = 0;
        const char* end = text.data() + text.size();
        if (unsigned_integer && std::from_chars(text.data(), end, value) != std::from_chars_result{end, std::errc()})
          return "must be a whole number from 0 to 18446744073709551615, got " + text;
        return "";
      },
      "");
}

void check_directory_flag(std::string_view flag, const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (path.empty()) return;
  // Room for what goes under it (the longest: runs/<stamp>_<host>/events.out.tfevents.<time>.<host>
  // .<pid>.0 with 64-character host names): past the limit every write failed with a raw "File name
  // too long".
  constexpr size_t kRoomBelow = 256;
  if (const size_t length = fs::absolute(path, ec).string().size(); length + kRoomBelow > PATH_MAX)
    fail_usage(std::string(flag) + " is " + std::to_string(length) + " characters long (as an absolute path); "
               "the files under it would pass the system's limit of " + std::to_string(PATH_MAX) +
               ": use a shorter path");
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec))
      fail_usage(std::string(flag) + " " + path + " is a file, not a directory; name a directory (it is created if missing)");
    return;
  }
  // Not there yet: it is created under its nearest existing ancestor, which must be a directory
  // this process may write (else the run's first file fails later, after the data is prepared).
  fs::path above = fs::absolute(path, ec).parent_path();
  while (!above.empty() && !fs::exists(above, ec) && above != above.parent_path()) above = above.parent_path();
  if (!fs::is_directory(above, ec))
    fail_usage(std::string(flag) + " " + path + ": cannot create it: " + above.string() + " is a file");
  if (::access(above.c_str(), W_OK | X_OK) != 0)
    fail_usage(std::string(flag) + " " + path + ": cannot create it in " + above.string() + " (" +
               std::strerror(errno) + ")");
}

void reject_unknown_flags(const CLI::App& app) {
  const std::vector<std::string> extras = app.remaining();
  if (extras.empty()) return;
  const std::string& arg = extras.front();
  const std::string flag = arg.substr(0, arg.find('='));
  const std::string where = config_origin(flag).empty() ? "" : " (from " + config_origin(flag) + ")";
  if (flag.rfind("--", 0) != 0)
    fail_usage("unexpected argument \"" + arg + "\"" + where + "; flags are written --name value");
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options())
    for (const std::string& name : opt->get_lnames()) names.push_back(name);
  const std::vector<std::string> near = suggest_names(flag.substr(2), names);
  std::string message = "unknown flag " + flag + where;
  message += near.empty() ? "; see --help for the flags" : "; did you mean " + either(near, "--") + "?";
  fail_usage(message);
}

}  // namespace ft::cli
