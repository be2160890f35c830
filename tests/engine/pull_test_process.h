// Runs a program (the real mistral-engine) with a chosen environment, collecting its stdout and
// stderr, for tests that must see exit codes and messages or run several processes at once.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mf_test {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};

class ChildProcess {
 public:
  // `env` is the whole environment, except that the sanitizers' *_OPTIONS pass through.
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env);
  ~ChildProcess();  // kills the process if it still runs
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // True when stderr contains `text` within `timeout`.
  bool wait_for_stderr(const std::string& text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Waits for the exit; kills the process after `timeout`.
  ProcessResult finish(std::chrono::milliseconds timeout = std::chrono::seconds(120));

 private:
  void read_output(int out_fd, int err_fd);

  pid_t pid_ = -1;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string out_, err_;
  bool eof_ = false;
  bool reaped_ = false;
  ProcessResult result_;
};

// Runs to the end.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::map<std::string, std::string>& env);

}  // namespace mf_test
