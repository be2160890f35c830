// A handler for HttpsTestServer that serves one file the way a CDN does: HEAD, GET, Range with
// If-Range (206, 200 when the validator changed, 416 past the end), and, on request, a GET cut
// off after some bytes.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>

#include "https_test_server.h"

namespace mf_test {

class TestFileServer {
 public:
  TestFileServer(std::string content, std::string etag)
      : content_(std::move(content)), etag_(std::move(etag)) {}

  // Replaces the file (a new upload).
  void change(std::string content, std::string etag);
  // The next GET sends the full head, then only the first `bytes` of the body, then cuts.
  void cut_next_get_at(std::size_t bytes);
  // HEAD answers keep announcing this ETag whatever the file is (a stale metadata cache).
  void pin_head_etag(std::string etag);
  // Extra headers on HEAD and GET answers.
  void add_header(std::string name, std::string value);

  void handle(const ServedRequest& request, TestExchange& exchange);

 private:
  std::mutex mutex_;
  std::string content_;
  std::string etag_;
  std::optional<std::size_t> cut_at_;
  std::optional<std::string> head_etag_;
  HeaderList extra_;
};

}  // namespace mf_test
