#include "pull_test_file_server.h"

#include <cstdint>

namespace mf_test {

void TestFileServer::change(std::string content, std::string etag) {
  std::lock_guard lock(mutex_);
  content_ = std::move(content);
  etag_ = std::move(etag);
}

void TestFileServer::cut_next_get_at(std::size_t bytes) {
  std::lock_guard lock(mutex_);
  cut_at_ = bytes;
}

void TestFileServer::pin_head_etag(std::string etag) {
  std::lock_guard lock(mutex_);
  head_etag_ = std::move(etag);
}

void TestFileServer::add_header(std::string name, std::string value) {
  std::lock_guard lock(mutex_);
  extra_.emplace_back(std::move(name), std::move(value));
}

void TestFileServer::handle(const ServedRequest& request, TestExchange& exchange) {
  std::unique_lock lock(mutex_);
  const std::string content = content_;
  HeaderList headers = extra_;
  headers.emplace_back("Accept-Ranges", "bytes");
  if (request.method == "HEAD") {
    headers.emplace_back("ETag", head_etag_.value_or(etag_));
    lock.unlock();
    return exchange.respond(200, headers, content);
  }
  headers.emplace_back("ETag", etag_);
  const std::optional<std::size_t> cut = cut_at_;
  cut_at_.reset();
  const std::string range = request.header("Range");
  const std::string if_range = request.header("If-Range");
  const bool validator_holds = if_range.empty() || if_range == etag_;
  lock.unlock();

  std::size_t start = 0;
  if (range.starts_with("bytes=") && validator_holds) {
    start = std::stoull(range.substr(6));
    if (start >= content.size()) {
      headers.emplace_back("Content-Range", "bytes */" + std::to_string(content.size()));
      return exchange.respond(416, headers);
    }
    headers.emplace_back("Content-Range", "bytes " + std::to_string(start) + "-" +
                                              std::to_string(content.size() - 1) + "/" +
                                              std::to_string(content.size()));
  }
  const std::string body = content.substr(start);
  if (cut) {
    headers.emplace_back("Content-Length", std::to_string(body.size()));
    exchange.send_head(start > 0 ? 206 : 200, headers);
    exchange.send_body(body.substr(0, *cut));
    return exchange.close();
  }
  exchange.respond(start > 0 ? 206 : 200, headers, body);
}

}  // namespace mf_test
