// `mistral-engine pull` (engine/pull and the CLI) against local HTTPS servers: URI mapping, full
// and resumed downloads, sha256 checks, redirects to a CDN host, access errors, files already
// present, concurrent pulls into one folder, and a full disk.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <system_error>

#include "https_test_server.h"
#include "https_test_server_certs.h"
#include "https_test_server_sync.h"
#include "pull/pull_model_file.h"
#include "pull/pull_source.h"
#include "pull_test_file_server.h"
#include "pull_test_process.h"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using engine::pull::PullError;
using engine::pull::PullFailure;
using engine::pull::PullOptions;
using engine::pull::PullResult;
using mf_test::HttpsTestServer;
using mf_test::ServedRequest;
using mf_test::TestExchange;
using mf_test::TestFileServer;

struct Pki {
  mf_test::TestCa ca{"pull test CA"};
  mf_test::CertifiedKey server = ca.issue("pull server", {"IP:127.0.0.1", "DNS:localhost"}, false);
};

const Pki& pki() {
  static const Pki p;
  return p;
}

HttpsTestServer::Options tls_server() { return {true, pki().server, ""}; }

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<ServedRequest> gets(const HttpsTestServer& server) {
  std::vector<ServedRequest> out;
  for (const auto& r : server.requests()) {
    if (r.method == "GET") out.push_back(r);
  }
  return out;
}

std::function<std::optional<std::string>(const std::string&)> env_of(
    std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("mf-pull-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    dest_ = root_ / "models";
    ca_file_ = root_ / "ca.pem";
    std::ofstream(ca_file_) << pki().ca.cert_pem();
  }
  void TearDown() override { fs::remove_all(root_); }

  // The real binary, trusting the test CA through OpenSSL's SSL_CERT_FILE.
  mf_test::ProcessResult pull_cli(std::vector<std::string> args,
                                  std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {MF_ENGINE_BIN, "pull"});
    env["SSL_CERT_FILE"] = ca_file_.string();
    return mf_test::run_process(args, env);
  }

  PullOptions options(const std::string& url) {
    PullOptions o;
    o.source = engine::pull::resolve_pull_source(url, env_of({}));
    o.dest_dir = dest_;
    o.tls.ca_pem = pki().ca.cert_pem();
    o.first_retry_delay = 1ms;
    o.log = [this](const std::string& line) { log_ += line + "\n"; };
    return o;
  }

  // What is in the destination folder besides the lock files.
  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    if (!fs::exists(dest_)) return names;
    for (const auto& e : fs::directory_iterator(dest_)) {
      const std::string name = e.path().filename().string();
      if (!name.ends_with(".lock")) names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path root_, dest_, ca_file_;
  std::string log_;
};

// ---------------------------------------------------------------------------------------------
// URIs

TEST(PullSource, MapsHuggingFaceUrisToResolveUrls) {
  auto s = engine::pull::resolve_pull_source("hf://TheOrg/the-repo/sub dir/m.Q4_K_M.gguf",
                                             env_of({{"HF_TOKEN", "hf_abc\n"}}));
  EXPECT_EQ(s.url, "https://huggingface.co/TheOrg/the-repo/resolve/main/sub%20dir/m.Q4_K_M.gguf");
  EXPECT_EQ(s.file_name, "m.Q4_K_M.gguf");
  EXPECT_EQ(s.repository, "TheOrg/the-repo");
  EXPECT_EQ(s.path, "sub dir/m.Q4_K_M.gguf");
  EXPECT_EQ(s.token, "hf_abc");
  EXPECT_TRUE(s.hugging_face);

  s = engine::pull::resolve_pull_source(
      "hf://org/repo@v1.0/m.gguf",
      env_of({{"HF_ENDPOINT", "http://127.0.0.1:9/"}, {"HUGGING_FACE_HUB_TOKEN", "t2"}}));
  EXPECT_EQ(s.url, "http://127.0.0.1:9/org/repo/resolve/v1.0/m.gguf");
  EXPECT_EQ(s.revision, "v1.0");
  EXPECT_EQ(s.token, "t2");
}

TEST(PullSource, TakesHttpsUrlsWithTheirOwnToken) {
  const auto s =
      engine::pull::resolve_pull_source("https://models.example/x/a%20b.gguf?download=1",
                                        env_of({{"MF_PULL_TOKEN", "p"}, {"HF_TOKEN", "h"}}));
  EXPECT_EQ(s.url, "https://models.example/x/a%20b.gguf?download=1");
  EXPECT_EQ(s.file_name, "a b.gguf");
  EXPECT_EQ(s.token, "p");
  EXPECT_EQ(s.repository, "models.example");
  EXPECT_EQ(engine::pull::resolve_pull_source("http://localhost:8/m", env_of({})).token, "");
}

TEST(PullSource, RefusesWhatIsNotPulled) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"pvc://models/m.gguf", "mounted into the pod"},
      {"file:///models/m.gguf", "read where it is mounted"},
      {"http://models.example/m.gguf", "only allowed to a loopback host"},
      {"s3://bucket/m.gguf", "unsupported URI"},
      {"hf://org/repo", "expected hf://ORG/REPO[@REVISION]/PATH"},
      {"hf://org/repo/", "expected hf://ORG/REPO[@REVISION]/PATH"},
      {"hf://org/../m.gguf", "repository name"},
      {"hf://org/repo@/m.gguf", "empty revision"},
      {"hf://org/repo/a/../m.gguf", "relative segment"},
      {"https://h:0/m", "port"},
  };
  for (const auto& [uri, message] : cases) {
    try {
      engine::pull::resolve_pull_source(uri, env_of({}));
      ADD_FAILURE() << uri << " was accepted";
    } catch (const PullError& e) {
      EXPECT_EQ(e.kind(), PullFailure::kUsage) << uri;
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The binary

TEST_F(Pull, DownloadsAndVerifiesTheSha256) {
  const std::string content = random_bytes((1 << 20) + 123, 1);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  const auto r = pull_cli(
      {server.url("/files/model.gguf"), "--dest", dest_.string(), "--sha256", sha256_hex(content)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (dest_ / "model.gguf").string() + "\n");
  EXPECT_EQ(read_file(dest_ / "model.gguf"), content);
  EXPECT_EQ(listing(), std::vector<std::string>{"model.gguf"});
  EXPECT_NE(r.err.find("verified (--sha256)"), std::string::npos) << r.err;
  EXPECT_EQ(gets(server).size(), 1u);
}

TEST_F(Pull, MapsHfUrisThroughHfEndpointWithTheTokenAndFollowsTheCdnRedirect) {
  if (!mf_test::localhost_resolves()) GTEST_SKIP() << "'localhost' does not resolve here";

  const std::string content = random_bytes(300000, 2);
  const std::string sha = sha256_hex(content);
  TestFileServer file(content, "\"cdn-etag-1\"");
  HttpsTestServer cdn(tls_server(),
                      [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  const std::string cdn_url = cdn.url("/blobs/" + sha + "?signature=abc", "localhost");
  HttpsTestServer hub(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.header("Authorization") != "Bearer hf_secret") return x.respond(401, {}, "no");
    if (r.target == "/OldName/repo/resolve/main/q4/model.gguf") {  // a renamed organization
      return x.respond(307, {{"Location", "/TheOrg/repo/resolve/main/q4/model.gguf"}});
    }
    if (r.target != "/TheOrg/repo/resolve/main/q4/model.gguf") return x.respond(404, {});
    x.respond(302, {{"Location", cdn_url},
                    {"X-Linked-Etag", "\"" + sha + "\""},
                    {"X-Linked-Size", std::to_string(content.size())},
                    {"ETag", "\"" + sha + "\""}});
  });
  const auto r = pull_cli({"hf://TheOrg/repo/q4/model.gguf", "--dest", dest_.string()},
                          {{"HF_ENDPOINT", "https://127.0.0.1:" + std::to_string(hub.port())},
                           {"HF_TOKEN", "hf_secret"}});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dest_ / "model.gguf"), content);
  EXPECT_NE(r.err.find("verified (X-Linked-Etag)"), std::string::npos) << r.err;
  ASSERT_FALSE(hub.requests().empty());
  for (const auto& req : cdn.requests()) {
    EXPECT_FALSE(req.has_header("Authorization")) << "the token went to the CDN host";
  }
  EXPECT_EQ(gets(cdn).size(), 1u);
}

TEST_F(Pull, ResumesWithRangeWhenTheServerCutsTheConnection) {
  const std::string content = random_bytes(2 << 20, 3);
  TestFileServer file(content, "\"v1\"");
  file.cut_next_get_at(content.size() / 2);
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  const auto r = pull_cli({server.url("/m.gguf"), "--dest", dest_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
  const auto g = gets(server);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_FALSE(g[0].has_header("Range"));
  EXPECT_EQ(g[1].header("Range"), "bytes=" + std::to_string(content.size() / 2) + "-");
  EXPECT_EQ(g[1].header("If-Range"), "\"v1\"");
  EXPECT_LT(server.body_bytes_sent(), 2 * content.size());
  EXPECT_NE(r.err.find("retrying"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("resuming at 1.00 MiB of 2.00 MiB"), std::string::npos) << r.err;
}

TEST_F(Pull, DeletesADownloadThatFailsTheSha256) {
  const std::string content = random_bytes(100000, 4);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  const std::string wrong = sha256_hex("something else");
  const auto r = pull_cli({server.url("/m.gguf"), "--dest", dest_.string(), "--sha256", wrong});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("sha256 mismatch for m.gguf: expected " + wrong + " (--sha256), got " +
                       sha256_hex(content)),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(listing().empty());
  EXPECT_EQ(r.out, "");
}

TEST_F(Pull, ExplainsAccessErrorsAndMissingFiles) {
  HttpsTestServer hub(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.target.find("/gated/") != std::string::npos) {
      return x.respond(403, {{"X-Error-Code", "GatedRepo"},
                             {"X-Error-Message", "Access to model org/gated is restricted."}});
    }
    if (!r.has_header("Authorization")) return x.respond(401, {});
    x.respond(404, {{"X-Error-Code", "EntryNotFound"}});
  });
  const std::map<std::string, std::string> endpoint = {
      {"HF_ENDPOINT", "https://127.0.0.1:" + std::to_string(hub.port())}};

  auto r = pull_cli({"hf://org/repo/m.gguf", "--dest", dest_.string()}, endpoint);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("the token is missing or lacks access to org/repo — set HF_TOKEN / the "
                       "InferenceService's tokenSecretRef (no token is set)"),
            std::string::npos)
      << r.err;

  auto with_token = endpoint;
  with_token["HF_TOKEN"] = "hf_x";
  r = pull_cli({"hf://org/gated/m.gguf", "--dest", dest_.string()}, with_token);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_NE(r.err.find("HTTP 403"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(a token was sent); the server says: Access to model org/gated is "
                       "restricted."),
            std::string::npos)
      << r.err;

  r = pull_cli({"hf://org/repo@dev/sub/m.gguf", "--dest", dest_.string()}, with_token);
  EXPECT_EQ(r.exit_code, 4);
  EXPECT_NE(r.err.find("no such file: sub/m.gguf in org/repo at revision dev (HTTP 404"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(listing().empty());

  r = pull_cli({"pvc://models/m.gguf", "--dest", dest_.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("mounted into the pod"), std::string::npos) << r.err;
}

TEST_F(Pull, SkipsAFileThatIsAlreadyPresentAndReplacesAWrongOne) {
  const std::string content = random_bytes(50000, 5);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  fs::create_directories(dest_);
  std::ofstream(dest_ / "m.gguf", std::ios::binary) << content;
  const std::string url = server.url("/m.gguf");

  auto r = pull_cli({url, "--dest", dest_.string(), "--sha256", sha256_hex(content)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, (dest_ / "m.gguf").string() + "\n");
  EXPECT_NE(r.err.find("already present (sha256 verified)"), std::string::npos) << r.err;
  r = pull_cli({url, "--dest", dest_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("already present"), std::string::npos) << r.err;
  EXPECT_TRUE(server.requests().empty());

  std::ofstream(dest_ / "m.gguf", std::ios::binary) << "corrupt";
  r = pull_cli({url, "--dest", dest_.string(), "--sha256", sha256_hex(content)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("downloading it again"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
}

TEST_F(Pull, ConcurrentPullsIntoOneFolderDownloadOnce) {
  const std::string content = random_bytes(200000, 6);
  TestFileServer file(content, "\"v1\"");
  mf_test::Flag get_arrived, release;
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.method == "GET") {
      get_arrived.set();
      release.wait(30s);
    }
    file.handle(r, x);
  });
  const std::map<std::string, std::string> env = {{"SSL_CERT_FILE", ca_file_.string()}};
  const std::vector<std::string> args = {MF_ENGINE_BIN, "pull", server.url("/m.gguf"), "--dest",
                                         dest_.string()};
  mf_test::ChildProcess first(args, env);
  ASSERT_TRUE(get_arrived.wait(30s));
  mf_test::ChildProcess second(args, env);
  mf_test::ChildProcess third(args, env);
  EXPECT_TRUE(second.wait_for_stderr("is under way; waiting for it to finish"));
  EXPECT_TRUE(third.wait_for_stderr("is under way; waiting for it to finish"));
  release.set();
  for (mf_test::ChildProcess* p : {&first, &second, &third}) {
    const auto r = p->finish();
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, (dest_ / "m.gguf").string() + "\n");
  }
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
  EXPECT_EQ(gets(server).size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The library

TEST_F(Pull, ResumesAPartialFileFromAnEarlierRun) {
  const std::string content = random_bytes(1 << 20, 7);
  TestFileServer file(content, "\"v1\"");
  file.cut_next_get_at(300000);
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 1;
  try {
    engine::pull::pull_model_file(o);
    FAIL() << "the cut download succeeded";
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kNetwork);
    EXPECT_NE(std::string(e.what()).find("giving up on m.gguf after 1 attempts"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(fs::file_size(dest_ / ".m.gguf.partial"), 300000u);
  EXPECT_FALSE(fs::exists(dest_ / "m.gguf"));

  const PullResult result = engine::pull::pull_model_file(o);
  EXPECT_EQ(result.bytes_downloaded, content.size() - 300000);
  EXPECT_EQ(result.sha256, sha256_hex(content));
  EXPECT_EQ(result.verified_against, "");  // "v1" is no sha256
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
  EXPECT_EQ(listing(), std::vector<std::string>{"m.gguf"});
  const auto g = gets(server);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].header("Range"), "bytes=300000-");
  EXPECT_EQ(g[1].header("If-Range"), "\"v1\"");
}

TEST_F(Pull, StartsOverWhenTheFileChangedOnTheServer) {
  const std::string v1 = random_bytes(400000, 8), v2 = random_bytes(450000, 9);
  TestFileServer file(v1, "\"v1\"");
  file.cut_next_get_at(100000);
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 1;
  EXPECT_THROW(engine::pull::pull_model_file(o), PullError);

  // The HEAD already shows a new ETag: no Range at all.
  file.change(v2, "\"v2\"");
  engine::pull::pull_model_file(o);
  EXPECT_EQ(read_file(dest_ / "m.gguf"), v2);
  const auto g = gets(server);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_FALSE(g[1].has_header("Range"));
  EXPECT_NE(log_.find("is not known to be of the file on the server now; starting over"),
            std::string::npos)
      << log_;
}

TEST_F(Pull, StartsOverWhenIfRangeFindsTheFileChanged) {
  const std::string v1 = random_bytes(400000, 10), v2 = random_bytes(400000, 11);
  TestFileServer file(v1, "\"v1\"");
  file.cut_next_get_at(100000);
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 1;
  EXPECT_THROW(engine::pull::pull_model_file(o), PullError);

  // The HEAD still says "v1" but the file changed: If-Range makes the GET send all of it.
  file.change(v2, "\"v2\"");
  file.pin_head_etag("\"v1\"");
  engine::pull::pull_model_file(o);
  EXPECT_EQ(read_file(dest_ / "m.gguf"), v2);
  const auto g = gets(server);
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[1].header("If-Range"), "\"v1\"");
  EXPECT_FALSE(g[2].has_header("Range"));
  EXPECT_NE(log_.find("the server sent the whole file instead of the rest"), std::string::npos)
      << log_;
}

TEST_F(Pull, FinishesAPartialFileThatIsAlreadyWhole) {
  const std::string content = random_bytes(200000, 12);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  // The first run dies after the last byte is written, before the rename.
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 1;
  std::size_t written = 0;
  o.write_chunk = [&](int fd, std::string_view bytes) {
    engine::pull::write_all(fd, bytes);
    written += bytes.size();
    if (written == content.size()) throw std::system_error(EIO, std::generic_category(), "write");
  };
  EXPECT_THROW(engine::pull::pull_model_file(o), PullError);
  EXPECT_EQ(fs::file_size(dest_ / ".m.gguf.partial"), content.size());

  o.write_chunk = nullptr;
  const PullResult result = engine::pull::pull_model_file(o);
  EXPECT_EQ(result.bytes_downloaded, 0u);
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
  EXPECT_EQ(gets(server).size(), 1u);  // the second run only asked HEAD
}

TEST_F(Pull, TreatsA416ForTheWholeLengthAsComplete) {
  const std::string content = random_bytes(150000, 13);
  // First run: the server declares one byte more than it has, then closes.
  std::atomic<bool> first{true};
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (first) {
      x.send_head(200,
                  {{"ETag", "\"v1\""}, {"Content-Length", std::to_string(content.size() + 1)}});
      x.send_body(content);
      if (r.method == "GET") x.close();
      return;
    }
    if (r.method == "HEAD") return x.send_head(200, {{"ETag", "\"v1\""}, {"Content-Length", "0"}});
    x.respond(416, {{"Content-Range", "bytes */" + std::to_string(content.size())}});
  });
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 1;
  EXPECT_THROW(engine::pull::pull_model_file(o), PullError);
  first = false;
  engine::pull::pull_model_file(o);
  EXPECT_EQ(read_file(dest_ / "m.gguf"), content);
  const auto g = gets(server);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[1].header("Range"), "bytes=" + std::to_string(content.size()) + "-");
}

TEST_F(Pull, VerifiesAgainstAServerSha256AndRejectsAMismatch) {
  const std::string content = random_bytes(120000, 14);
  TestFileServer file(content, "\"" + sha256_hex("not the content") + "\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  try {
    engine::pull::pull_model_file(o);
    FAIL() << "a wrong ETag sha256 was accepted";
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kChecksum);
    EXPECT_NE(std::string(e.what()).find("(ETag)"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(listing().empty());

  file.change(content, "\"" + sha256_hex(content) + "\"");
  EXPECT_EQ(engine::pull::pull_model_file(o).verified_against, "ETag");
}

TEST_F(Pull, DownloadsWhenHeadIsRefused) {
  // A URL signed for GET only answers HEAD with 403.
  const std::string content = random_bytes(70000, 17);
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.method == "HEAD") return x.respond(403, {}, "");
    x.respond(200, {}, content);
  });
  const PullResult result = engine::pull::pull_model_file(options(server.url("/signed?sig=1")));
  EXPECT_EQ(result.path, dest_ / "signed");
  EXPECT_EQ(read_file(dest_ / "signed"), content);
}

TEST_F(Pull, ReportsAFullDisk) {
  const std::string content = random_bytes(300000, 15);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  std::size_t written = 0;
  o.write_chunk = [&](int fd, std::string_view bytes) {
    if (written + bytes.size() > 100000) throw std::system_error(ENOSPC, std::generic_category());
    engine::pull::write_all(fd, bytes);
    written += bytes.size();
  };
  try {
    engine::pull::pull_model_file(o);
    FAIL() << "the full disk went unnoticed";
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kDiskFull);
    const std::string message = e.what();
    EXPECT_NE(message.find("disk full writing m.gguf into " + dest_.string() + ": " +
                           std::to_string(content.size() - written) + " bytes"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find(std::to_string(content.size()) + " bytes (292.97 KiB) in all"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("are free"), std::string::npos) << message;
  }
  EXPECT_EQ(gets(server).size(), 1u);  // not retried
}

TEST_F(Pull, RefusesAFileLargerThanTheFreeSpace) {
  HttpsTestServer server(tls_server(), [&](const ServedRequest&, TestExchange& x) {
    x.send_head(200, {{"ETag", "\"v1\""}, {"Content-Length", "1000000000000000000"}});
  });
  try {
    engine::pull::pull_model_file(options(server.url("/huge.gguf")));
    FAIL() << "an exabyte fitted";
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kDiskFull);
    EXPECT_NE(std::string(e.what()).find("huge.gguf needs 1000000000000000000 bytes"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(gets(server).empty());
}

TEST_F(Pull, RetriesServerErrorsThenGivesUp) {
  std::atomic<int> answers{0};
  HttpsTestServer server(tls_server(), [&](const ServedRequest&, TestExchange& x) {
    ++answers;
    x.respond(503, {}, "busy");
  });
  PullOptions o = options(server.url("/m.gguf"));
  o.attempts = 3;
  try {
    engine::pull::pull_model_file(o);
    FAIL();
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kNetwork);
    EXPECT_NE(
        std::string(e.what()).find("after 3 attempts: HTTP 503 from " + server.url("/m.gguf")),
        std::string::npos)
        << e.what();
  }
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(std::count(log_.begin(), log_.end(), '\n') >= 2, true);
  EXPECT_NE(log_.find("retrying in"), std::string::npos);
  EXPECT_TRUE(listing().empty());
}

TEST_F(Pull, ReportsConnectFailures) {
  std::uint16_t port = 0;
  {
    HttpsTestServer closed(tls_server(), [](const ServedRequest&, TestExchange&) {});
    port = closed.port();
  }
  PullOptions o = options("https://127.0.0.1:" + std::to_string(port) + "/m.gguf");
  o.attempts = 1;
  try {
    engine::pull::pull_model_file(o);
    FAIL();
  } catch (const PullError& e) {
    EXPECT_EQ(e.kind(), PullFailure::kNetwork);
    EXPECT_NE(
        std::string(e.what()).find("connecting to 127.0.0.1:" + std::to_string(port) + " failed"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(Pull, LogsProgress) {
  const std::string content = random_bytes(1 << 20, 16);
  TestFileServer file(content, "\"v1\"");
  HttpsTestServer server(tls_server(),
                         [&](const ServedRequest& r, TestExchange& x) { file.handle(r, x); });
  PullOptions o = options(server.url("/m.gguf"));
  o.progress_interval = 0ms;
  o.file_name = "renamed.gguf";
  const PullResult result = engine::pull::pull_model_file(o);
  EXPECT_EQ(result.path, dest_ / "renamed.gguf");
  EXPECT_NE(log_.find("renamed.gguf: "), std::string::npos);
  EXPECT_NE(log_.find(" of 1.00 MiB ("), std::string::npos) << log_;
  EXPECT_NE(log_.find("MB/s"), std::string::npos) << log_;
  EXPECT_NE(log_.find("downloaded 1.00 MiB in"), std::string::npos) << log_;
}

}  // namespace
