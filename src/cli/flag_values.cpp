#include "cli/flag_values.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
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
  std::vector<size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), size_t{0});
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

namespace {

// The candidate nearest to `word`, or "" when none is near enough to be a plausible typo.
std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& name : candidates) {
    const size_t d = edit_distance(word, name);
    if (d < best_distance) best_distance = d, best = name;
  }
  return best_distance <= std::max<size_t>(3, word.size() / 3) ? best : "";
}

}  // namespace

void reject_unknown_command(const CLI::App& app, std::string_view word) {
  if (word.empty() || word.front() == '-') return;
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands({})) names.push_back(sub->get_name());
  if (std::find(names.begin(), names.end(), word) != names.end()) return;
  const std::string best = closest(word, names);
  fail_usage("unknown command '" + std::string(word) + "'" +
             (best.empty() ? "" : "; did you mean '" + best + "'?") +
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
  if (fs::exists(path, ec)) {
    if (!fs::is_directory(path, ec))
      fail_usage(std::string(flag) + " " + path + " is a file, not a directory; name a directory (it is created if missing)");
    return;
  }
  // Not there yet: it is created under its nearest existing ancestor, which must be a directory
  // this process may write (else the first write, the token cache's, fails with its own message).
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
  const std::string best = closest(flag.substr(2), names);
  std::string message = "unknown flag " + flag + where;
  message += best.empty() ? "; see --help for the flags" : "; did you mean --" + best + "?";
  fail_usage(message);
}

}  // namespace ft::cli
