#include "recorded_samples.h"

#include <fstream>
#include <sstream>

namespace fakeapi {
namespace {

std::optional<std::string> read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Splits "start line\nheaders\n\nbody" (CRLF or LF); returns the start line.
std::string split_message(const std::string& text, std::map<std::string, std::string>& headers,
                          std::string& body) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::string start = line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    headers[name] = value;
  }
  std::stringstream rest;
  rest << in.rdbuf();
  body = rest.str();
  return start;
}

void shape_walk(const nlohmann::json& v, const std::string& path,
                std::map<std::string, std::string>& out) {
  out[path.empty() ? "." : path] = v.type_name();
  if (v.is_object()) {
    for (const auto& [k, child] : v.items())
      shape_walk(child, path.empty() ? k : path + "." + k, out);
  } else if (v.is_array()) {
    for (const auto& child : v) shape_walk(child, path + "[]", out);
  }
}

}  // namespace

std::optional<RecordedSample> load_recorded_sample(const std::filesystem::path& dir,
                                                   const std::string& name) {
  const auto request = read_text(dir / (name + ".request.http"));
  const auto response = read_text(dir / (name + ".response.http"));
  if (!request || !response) return std::nullopt;
  RecordedSample s;
  std::istringstream start(split_message(*request, s.request_headers, s.request_body));
  start >> s.method >> s.target;
  std::string status_line = split_message(*response, s.response_headers, s.response_body);
  std::istringstream status(status_line);
  std::string version;
  status >> version >> s.status;
  return s;
}

std::map<std::string, std::string> json_shape(const nlohmann::json& value) {
  std::map<std::string, std::string> out;
  shape_walk(value, "", out);
  return out;
}

}  // namespace fakeapi
