// Watches on the fake API server over HTTPS: event streams from a resourceVersion or from the
// current state, selectors, bookmarks, sendInitialEvents, timeoutSeconds, 410 after compaction,
// close_watches and stop() ending streams, and Table watches as `kubectl get --watch` uses them.
#include <gtest/gtest.h>

#include <filesystem>

#include "api_server.h"
#include "test_https_client.h"

namespace {

using fakeapi::ApiServer;
using fakeapi::HttpsTestClient;
using nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kConfigMaps = "/api/v1/namespaces/default/configmaps";

json config_map(const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
          {"data", {{"k", "v"}}}};
}

class WatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fakeapi-watch-" + std::to_string(::getpid()));
    server_ = std::make_unique<ApiServer>(
        fakeapi::ApiServerOptions{.dir = dir_, .bookmark_interval = 200ms});
    server_->start();
    client_ = std::make_unique<HttpsTestClient>(server_->certificates(), server_->port());
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    fs::remove_all(dir_);
  }
  std::string list_rv() {
    return client_->request("GET", kConfigMaps).json()["metadata"]["resourceVersion"];
  }
  // The next event that is not a BOOKMARK.
  static std::optional<json> next_change(HttpsTestClient::Watch& w) {
    for (int i = 0; i < 50; ++i) {
      auto ev = w.next(5s);
      if (!ev || (*ev)["type"] != "BOOKMARK") return ev;
    }
    return std::nullopt;
  }

  fs::path dir_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<HttpsTestClient> client_;
};

TEST_F(WatchTest, StreamsChangesAfterAResourceVersion) {
  server_->create(kConfigMaps, config_map("before", "a"));
  const std::string rv = list_rv();
  auto w = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + rv);
  EXPECT_EQ(w->response().status, 200);
  EXPECT_EQ(w->response().headers.at("transfer-encoding"), "chunked");
  server_->create(kConfigMaps, config_map("one", "a"));
  server_->patch(kConfigMaps + "/one", {{"data", {{"k", "w"}}}});
  server_->remove(kConfigMaps + "/one");
  std::vector<std::string> types;
  for (int i = 0; i < 3; ++i) {
    auto ev = next_change(*w);
    ASSERT_TRUE(ev.has_value()) << "event " << i;
    types.push_back((*ev)["type"]);
    EXPECT_EQ((*ev)["object"]["metadata"]["name"], "one");
    EXPECT_EQ((*ev)["object"]["kind"], "ConfigMap");
  }
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "MODIFIED", "DELETED"}));
}

TEST_F(WatchTest, WithoutAResourceVersionStartsWithTheCurrentObjects) {
  server_->create(kConfigMaps, config_map("a1", "a"));
  server_->create(kConfigMaps, config_map("b1", "b"));
  auto w = client_->watch(kConfigMaps + "?watch=1&labelSelector=app%3Da");
  auto first = next_change(*w);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["type"], "ADDED");
  EXPECT_EQ((*first)["object"]["metadata"]["name"], "a1");
  // Relabelling into and out of the selection is ADDED and DELETED for this watcher.
  server_->patch(kConfigMaps + "/b1", {{"metadata", {{"labels", {{"app", "a"}}}}}});
  auto entered = next_change(*w);
  ASSERT_TRUE(entered.has_value());
  EXPECT_EQ((*entered)["type"], "ADDED");
  EXPECT_EQ((*entered)["object"]["metadata"]["name"], "b1");
  server_->patch(kConfigMaps + "/a1", {{"metadata", {{"labels", {{"app", "z"}}}}}});
  auto left = next_change(*w);
  ASSERT_TRUE(left.has_value());
  EXPECT_EQ((*left)["type"], "DELETED");
  EXPECT_EQ((*left)["object"]["metadata"]["name"], "a1");
}

TEST_F(WatchTest, SendInitialEventsEndsWithAnAnnotatedBookmark) {
  server_->create(kConfigMaps, config_map("x", "a"));
  auto w = client_->watch(kConfigMaps +
                          "?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"
                          "&resourceVersionMatch=NotOlderThan");
  auto added = w->next(5s);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ((*added)["type"], "ADDED");
  auto bookmark = w->next(5s);
  ASSERT_TRUE(bookmark.has_value());
  EXPECT_EQ((*bookmark)["type"], "BOOKMARK");
  EXPECT_EQ((*bookmark)["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_EQ((*bookmark)["object"]["metadata"]["resourceVersion"], list_rv());
}

TEST_F(WatchTest, BookmarksAndTimeoutEndTheStream) {
  const std::string rv = list_rv();
  auto w = client_->watch(
      kConfigMaps + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=" + rv);
  auto ev = w->next(5s);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["type"], "BOOKMARK");
  EXPECT_EQ((*ev)["object"]["kind"], "ConfigMap");
  EXPECT_EQ((*ev)["object"]["metadata"]["resourceVersion"], rv);
  // Bookmarks until the timeout, then the final chunk.
  for (int i = 0; i < 50 && !w->ended(); ++i) w->next(5s);
  EXPECT_TRUE(w->ended());
  // The connection stays usable for the next request.
  EXPECT_EQ(client_->request("GET", kConfigMaps).status, 200);
}

TEST_F(WatchTest, CompactedResourceVersionIsAnErrorEvent) {
  const std::string old_rv = list_rv();
  server_->create(kConfigMaps, config_map("new", "a"));
  server_->compact();
  auto w = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + old_rv);
  auto ev = w->next(5s);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["type"], "ERROR");
  EXPECT_EQ((*ev)["object"]["code"], 410);
  EXPECT_EQ((*ev)["object"]["reason"], "Expired");
  EXPECT_FALSE(w->next(2s).has_value());
  EXPECT_TRUE(w->ended());
  // Resuming from the current revision works.
  auto resumed = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + list_rv());
  server_->create(kConfigMaps, config_map("later", "a"));
  auto added = next_change(*resumed);
  ASSERT_TRUE(added.has_value());
  EXPECT_EQ((*added)["object"]["metadata"]["name"], "later");
}

TEST_F(WatchTest, CloseWatchesDropsStreamsButNotOtherConnections) {
  auto w = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + list_rv());
  EXPECT_EQ(client_->request("GET", kConfigMaps).status, 200);
  server_->close_watches();
  EXPECT_FALSE(w->next(5s).has_value());
  EXPECT_TRUE(w->ended());
  EXPECT_EQ(client_->request("GET", kConfigMaps).status, 200);
}

TEST_F(WatchTest, ResumesAcrossARestart) {
  const std::string rv = list_rv();
  auto w = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + rv);
  server_->stop();
  EXPECT_FALSE(w->next(5s).has_value());
  EXPECT_TRUE(w->ended());
  server_->create(kConfigMaps, config_map("while-down", "a"));
  server_->start();
  auto resumed = client_->watch(kConfigMaps + "?watch=1&resourceVersion=" + rv);
  auto ev = next_change(*resumed);
  ASSERT_TRUE(ev.has_value());
  EXPECT_EQ((*ev)["type"], "ADDED");
  EXPECT_EQ((*ev)["object"]["metadata"]["name"], "while-down");
}

TEST_F(WatchTest, TableWatchSendsColumnsOnce) {
  server_->create(kConfigMaps, config_map("t1", "a"));
  auto w = client_->watch(kConfigMaps + "?watch=1",
                          "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
  auto first = next_change(*w);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ((*first)["object"]["kind"], "Table");
  EXPECT_FALSE((*first)["object"]["columnDefinitions"].empty());
  EXPECT_EQ((*first)["object"]["rows"][0]["cells"][0], "t1");
  server_->patch(kConfigMaps + "/t1", {{"data", {{"k2", "v2"}}}});
  auto second = next_change(*w);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ((*second)["type"], "MODIFIED");
  EXPECT_TRUE((*second)["object"]["columnDefinitions"].empty());
  EXPECT_EQ((*second)["object"]["rows"][0]["cells"][1], 2) << "DATA column counts the keys";
}

}  // namespace
