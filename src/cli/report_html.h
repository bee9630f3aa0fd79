// The `finetune report` page: one self-contained HTML document (inline CSS and SVG, no scripts,
// no network) with the runs overlaid in each chart — loss and eval loss, learning rate, gradient
// norm, throughput, peak memory, all over the optimizer step — then the final metrics, the model
// and data statistics, and the configuration (flags that differ between runs highlighted).
#pragma once
#include <string>
#include <vector>

#include "cli/report_data.h"

namespace ft::cli {

std::string render_report(const std::vector<RunData>& runs);

}  // namespace ft::cli
