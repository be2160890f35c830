// A mistral-operator process for scenario tests: started with a kubeconfig and flags, its log
// kept in a file, its metrics read over HTTP, stopped with SIGTERM or killed.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/http_client.h"

extern char** environ;

namespace operator_test {

// Polls `condition` every `period` until it holds or `timeout` passes; returns its last value.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20),
                       std::chrono::milliseconds period = std::chrono::milliseconds(50)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(period);
  }
}

// Starts `args` with stdout and stderr written to `log`; throws when it cannot start.
inline pid_t spawn_logged(std::vector<std::string> args, const std::filesystem::path& log) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + args[0]);
  return pid;
}

class OperatorProcess {
 public:
  OperatorProcess(const std::filesystem::path& kubeconfig, const std::filesystem::path& log,
                  std::vector<std::string> extra_args = {})
      : log_(log) {
    std::vector<std::string> args = {MF_OPERATOR_BIN,
                                     "--kubeconfig",
                                     kubeconfig.string(),
                                     "--engine-image",
                                     "ghcr.io/mistral-fleet/engine:test",
                                     "--engine-image-vulkan",
                                     "ghcr.io/mistral-fleet/engine-vulkan:test",
                                     "--metrics-bind-address",
                                     "127.0.0.1:0",
                                     "--health-probe-bind-address",
                                     "127.0.0.1:0",
                                     "--log-level",
                                     "debug"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = spawn_logged(std::move(args), log);
  }

  ~OperatorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  std::string log() const {
    std::ifstream in(log_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The ports /metrics and the probes listen on, once the operator has logged them (0 until then).
  int metrics_port() const { return logged_port(std::regex(R"(metrics on 127\.0\.0\.1:(\d+))")); }
  int probe_port() const { return logged_port(std::regex(R"(probes on 127\.0\.0\.1:(\d+))")); }

  // The HTTP status of GET `path` on the probe port; 0 when unreachable.
  unsigned probe(const std::string& path) const {
    try {
      http::Client client;
      http::Request request;
      request.url = "http://127.0.0.1:" + std::to_string(probe_port()) + path;
      request.timeout = std::chrono::seconds(5);
      return client.send(request).status;
    } catch (const std::exception&) {
      return 0;
    }
  }

  // The value of an unlabelled metric (or the sum over its label sets); -1 when unreadable.
  double metric(const std::string& name) const {
    const int port = metrics_port();
    if (port == 0) return -1;
    try {
      http::Client client;
      http::Request request;
      request.url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
      request.timeout = std::chrono::seconds(5);
      const http::Response response = client.send(request);
      double sum = 0;
      bool found = false;
      std::istringstream lines(response.body);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind(name, 0) != 0) continue;
        const char next = line.size() > name.size() ? line[name.size()] : '\0';
        if (next != ' ' && next != '{') continue;
        sum += std::stod(line.substr(line.rfind(' ') + 1));
        found = true;
      }
      return found ? sum : -1;
    } catch (const std::exception&) {
      return -1;
    }
  }

  // Resident memory in bytes, from /proc.
  long resident_bytes() const {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    }
    return -1;
  }

  // SIGTERM, then the exit status (or -1 if it did not exit within the timeout).
  int terminate(std::chrono::seconds timeout = std::chrono::seconds(20)) {
    ::kill(pid_, SIGTERM);
    return wait_exit(timeout);
  }

  void kill_now() {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }

 private:
  int wait_exit(std::chrono::seconds timeout) {
    int status = 0;
    const bool exited = eventually([&] { return ::waitpid(pid_, &status, WNOHANG) == pid_; },
                                   std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
    if (!exited) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int logged_port(const std::regex& pattern) const {
    std::smatch m;
    const std::string text = log();
    return std::regex_search(text, m, pattern) ? std::stoi(m[1]) : 0;
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
};

}  // namespace operator_test
