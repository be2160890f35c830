// Real mistral-engine processes for the operator's end-to-end tests: a tiny synthetic model, and
// `mistral-engine serve` on 127.0.0.1 at a free port standing in for an engine pod.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "operator_process.h"

namespace operator_test {

// Runs argv to completion with its output in `log`; throws unless it exits 0.
inline void run_to_end(std::vector<std::string> args, const std::filesystem::path& log) {
  const std::string what = args[0] + " " + args[1];
  const pid_t pid = spawn_logged(std::move(args), log);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(what + " failed; see " + log.string());
  }
}

// A tiny random-weight Mistral model with the real vocabulary (2 layers, Q8_0).
inline std::filesystem::path synth_tiny_model(const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "tiny.gguf";
  run_to_end(
      {MF_ENGINE_BIN, "synth", "--out", file.string(), "--type", "q8_0", "--shape", "tiny",
       "--layers", "2", "--seed", "3", "--vocab-from",
       std::string(MF_SOURCE_DIR) + "/node_modules/mistral-tokenizer-js/mistral-tokenizer.js"},
      dir / "synth.log");
  return file;
}

class EngineProcess {
 public:
  // Serves `model` as "tiny", one sequence at a time, so concurrent requests queue.
  EngineProcess(const std::filesystem::path& model, const std::filesystem::path& log) : log_(log) {
    std::vector<std::string> args = {MF_ENGINE_BIN,
                                     "serve",
                                     "--model",
                                     model.string(),
                                     "--host",
                                     "127.0.0.1",
                                     "--port",
                                     "0",
                                     "--threads",
                                     "1",
                                     "--max-num-seqs",
                                     "1",
                                     "--served-model-name",
                                     "tiny",
                                     "--kv-cache-memory",
                                     "64MiB"};
    pid_ = spawn_logged(std::move(args), log);
    const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    eventually(
        [&] {
          std::smatch m;
          const std::string text = read_log();
          if (!std::regex_search(text, m, listening)) return false;
          port_ = std::stoi(m[1]);
          return true;
        },
        std::chrono::seconds(60));
    if (port_ == 0) throw std::runtime_error("mistral-engine did not listen:\n" + read_log());
  }

  ~EngineProcess() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  EngineProcess(const EngineProcess&) = delete;
  EngineProcess& operator=(const EngineProcess&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

 private:
  std::string read_log() const {
    std::ifstream in(log_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace operator_test
