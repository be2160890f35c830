// fake-kube-apiserver --dir DIR [--port N]: serves until SIGTERM or SIGINT, with DIR/kubeconfig
// for kubectl and helm.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include "api_server.h"

int main(int argc, char** argv) {
  std::string dir;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--dir" || arg == "--port") && i + 1 < argc) {
      const std::string value = argv[++i];
      if (arg == "--dir") {
        dir = value;
      } else {
        try {
          port = std::stoi(value);
        } catch (const std::exception&) {
          port = -1;
        }
        if (port < 0 || port > 65535) {
          std::cerr << "fake-kube-apiserver: --port must be 0..65535\n";
          return 2;
        }
      }
    } else {
      std::cerr << "usage: fake-kube-apiserver --dir DIR [--port N]\n";
      return 2;
    }
  }
  if (dir.empty()) {
    std::cerr << "usage: fake-kube-apiserver --dir DIR [--port N]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Blocked before any thread starts, so that only sigwait below sees them.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    fakeapi::ApiServer server({.dir = dir, .port = static_cast<unsigned short>(port)});
    server.start();
    std::cout << "listening on " << server.url() << "\nkubeconfig "
              << server.kubeconfig_path().string() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "fake-kube-apiserver: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
