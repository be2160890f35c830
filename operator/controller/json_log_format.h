// `--log-format json`: one JSON object per line ({"ts", "level", "logger", "msg"}), what log
// collectors such as Loki and Elasticsearch parse without configuration.
#pragma once

namespace controller {

// Switches spdlog's default logger to JSON lines.
void use_json_logs();

}  // namespace controller
