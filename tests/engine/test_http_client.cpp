// The shared HTTP client (common/http) against a local HTTPS server with certificates made at
// test time: bodies, streaming, keep-alive, redirects, timeouts, cancel(), TLS verification and
// client certificates.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "http/http_client.h"
#include "https_test_server.h"
#include "https_test_server_certs.h"
#include "https_test_server_sync.h"

namespace {

using namespace std::chrono_literals;
using mf_test::HttpsTestServer;
using mf_test::ServedRequest;
using mf_test::TestExchange;

struct Pki {
  mf_test::TestCa ca{"mistral-fleet test CA"};
  mf_test::CertifiedKey server = ca.issue("test server", {"IP:127.0.0.1", "DNS:localhost"}, false);
  mf_test::CertifiedKey client = ca.issue("test-client", {}, true);
};

const Pki& pki() {
  static const Pki p;
  return p;
}

HttpsTestServer::Options tls_server() { return {true, pki().server, ""}; }

http::TlsConfig trusting_test_ca() {
  http::TlsConfig tls;
  tls.ca_pem = pki().ca.cert_pem();
  return tls;
}

http::Request request(const std::string& url, const std::string& method = "GET") {
  http::Request r;
  r.method = method;
  r.url = url;
  r.timeout = 10s;
  return r;
}

template <class F>
std::string transport_error_of(F&& f) {
  try {
    f();
  } catch (const http::TransportError& e) {
    return e.what();
  }
  return "(no TransportError)";
}

TEST(HttpUrl, ParsesSchemeHostPortAndTarget) {
  http::Url u = http::Url::parse("HTTPS://Example.COM/a/b?x=1#frag");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "example.com");
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.target, "/a/b?x=1");
  EXPECT_EQ(u.origin(), "https://example.com:443");

  u = http::Url::parse("http://127.0.0.1:8080");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.target, "/");
  EXPECT_EQ(u.origin(), "http://127.0.0.1:8080");

  u = http::Url::parse("http://[::1]:9/x");
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.origin(), "http://[::1]:9");

  EXPECT_EQ(http::Url::parse("https://h?q=1").target, "/?q=1");
}

TEST(HttpUrl, RejectsMalformedText) {
  for (const char* bad : {"ftp://x/", "example.com/x", "https://", "https://h:0/",
                          "https://h:99999/", "https://user:pw@h/", "https://h/a b",
                          "https://[::1/", "https://h:x/", "https://h!/", "https://[zz]/"}) {
    try {
      http::Url::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(HttpClient, SendsGetAndPostAndReadsBodiesAndHeaders) {
  HttpsTestServer server(tls_server(), [](const ServedRequest& r, TestExchange& x) {
    if (r.target == "/hello") {
      x.respond(200, {{"Content-Type", "text/plain"}, {"X-Custom", "v1"}}, "hello world");
    } else {
      x.respond(201, {}, r.method + " " + r.header("content-type") + " " + r.body);
    }
  });
  http::Client client(trusting_test_ca());
  const http::Response get = client.send(request(server.url("/hello")));
  EXPECT_EQ(get.status, 200u);
  EXPECT_EQ(get.body, "hello world");
  EXPECT_EQ(get.header("x-CUSTOM"), "v1");
  EXPECT_EQ(get.header("absent"), "");
  EXPECT_EQ(get.url, server.url("/hello"));

  http::Request post = request(server.url("/echo"), "POST");
  post.headers = {{"Content-Type", "application/json"}};
  post.body = R"({"a":1})";
  const http::Response created = client.send(post);
  EXPECT_EQ(created.status, 201u);
  EXPECT_EQ(created.body, R"(POST application/json {"a":1})");

  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].header("Host"), "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(seen[0].header("User-Agent"), "mistral-fleet");
  EXPECT_FALSE(seen[0].has_header("Content-Length"));
  EXPECT_EQ(seen[1].header("Content-Length"), "7");
}

TEST(HttpClient, PlainHttpWorks) {
  HttpsTestServer server({false, {}, ""}, [](const ServedRequest& r, TestExchange& x) {
    x.respond(200, {}, "plain " + r.target);
  });
  http::Client client;
  EXPECT_EQ(client.send(request(server.url("/p?q=1"))).body, "plain /p?q=1");
}

TEST(HttpClient, StreamsAChunkedBodyAsItArrives) {
  const std::vector<std::string> pieces = {"first-", "second-", "third"};
  mf_test::Received received;
  std::vector<bool> seen_before_next(pieces.size(), false);
  HttpsTestServer server(tls_server(), [&](const ServedRequest&, TestExchange& x) {
    x.send_head(200, {{"Transfer-Encoding", "chunked"}});
    std::size_t sent = 0;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      x.send_chunk(pieces[i]);
      sent += pieces[i].size();
      // The next chunk only goes once the client has handed this one over.
      seen_before_next[i] = received.wait_for_size(sent);
    }
    x.end_chunks();
  });
  http::Client client(trusting_test_ca());
  const http::Response r = client.stream(request(server.url("/chunks")), [&](std::string_view d) {
    received.append(d);
    return true;
  });
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(received.text(), "first-second-third");
  for (std::size_t i = 0; i < pieces.size(); ++i) EXPECT_TRUE(seen_before_next[i]) << i;
}

TEST(HttpClient, StreamsAContentLengthBodyAsItArrives) {
  mf_test::Received received;
  bool first_half_delivered_alone = false;
  HttpsTestServer server(tls_server(), [&](const ServedRequest&, TestExchange& x) {
    x.send_head(200, {{"Content-Length", "10"}});
    x.send_body("01234");
    first_half_delivered_alone = received.wait_for_size(5);
    x.send_body("56789");
  });
  http::Client client(trusting_test_ca());
  client.stream(request(server.url("/len")), [&](std::string_view d) {
    received.append(d);
    return true;
  });
  EXPECT_TRUE(first_half_delivered_alone);
  EXPECT_EQ(received.text(), "0123456789");
}

TEST(HttpClient, StreamCollectsANonSuccessBody) {
  HttpsTestServer server(tls_server(), [](const ServedRequest&, TestExchange& x) {
    x.respond(404, {{"Content-Type", "text/plain"}}, "no such thing");
  });
  http::Client client(trusting_test_ca());
  int calls = 0;
  const http::Response r = client.stream(request(server.url("/missing")), [&](std::string_view) {
    ++calls;
    return true;
  });
  EXPECT_EQ(r.status, 404u);
  EXPECT_EQ(r.body, "no such thing");
  EXPECT_EQ(calls, 0);
}

TEST(HttpClient, StreamStopsWhenTheHandlerSaysSo) {
  mf_test::Flag stopped;
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.target != "/endless") return x.respond(200, {}, "ok");
    x.send_head(200, {{"Transfer-Encoding", "chunked"}});
    x.send_chunk("one");
    stopped.wait();
    x.send_chunk("two");
  });
  http::Client client(trusting_test_ca());
  std::string got;
  const http::Response r = client.stream(request(server.url("/endless")), [&](std::string_view d) {
    got += d;
    return false;
  });
  stopped.set();
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(got, "one");
  // The stopped connection is not reused.
  EXPECT_EQ(client.send(request(server.url("/next"))).body, "ok");
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClient, KeepsTheConnectionAliveForTheSameOrigin) {
  if (!mf_test::localhost_resolves()) GTEST_SKIP() << "'localhost' does not resolve here";

  HttpsTestServer server(
      tls_server(), [](const ServedRequest& r, TestExchange& x) { x.respond(200, {}, r.target); });
  http::Client client(trusting_test_ca());
  for (const char* target : {"/1", "/2", "/3"}) {
    EXPECT_EQ(client.send(request(server.url(target))).body, target);
  }
  client.stream(request(server.url("/4")), [](std::string_view) { return true; });
  EXPECT_EQ(server.connections(), 1);
  for (const auto& r : server.requests()) EXPECT_EQ(r.connection, 1);

  // Another host name is another origin, even on the same server.
  EXPECT_EQ(client.send(request(server.url("/5", "localhost"))).body, "/5");
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClient, ReconnectsOnceWhenAReusedConnectionWasClosed) {
  HttpsTestServer server(tls_server(), [](const ServedRequest& r, TestExchange& x) {
    x.respond(200, {}, r.target);
    if (r.target == "/then-close") x.close();  // no "Connection: close": the client can't know
  });
  http::Client client(trusting_test_ca());
  EXPECT_EQ(client.send(request(server.url("/then-close"))).body, "/then-close");
  EXPECT_EQ(client.send(request(server.url("/after"))).body, "/after");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpClient, FollowsRedirectsUpToTheLimit) {
  HttpsTestServer server(tls_server(), [](const ServedRequest& r, TestExchange& x) {
    if (r.target == "/a/start") return x.respond(302, {{"Location", "../b/next?x=1"}}, "moved");
    if (r.target == "/b/next?x=1") return x.respond(301, {{"Location", "/final"}});
    x.respond(200, {}, "done " + r.target);
  });
  http::Client client(trusting_test_ca());
  http::Request req = request(server.url("/a/start"));
  req.max_redirects = 5;
  http::Response r = client.send(req);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "done /final");
  EXPECT_EQ(r.url, server.url("/final"));

  req.max_redirects = 0;
  r = client.send(req);
  EXPECT_EQ(r.status, 302u);
  EXPECT_EQ(r.header("Location"), "../b/next?x=1");
  EXPECT_EQ(r.body, "moved");

  req.max_redirects = 1;
  r = client.stream(req, [](std::string_view) { return true; });
  EXPECT_EQ(r.status, 301u);
  EXPECT_EQ(r.url, server.url("/b/next?x=1"));
}

TEST(HttpClient, RedirectsA303ToGetAndKeepsPostFor307) {
  HttpsTestServer server(tls_server(), [](const ServedRequest& r, TestExchange& x) {
    if (r.target == "/see-other") return x.respond(303, {{"Location", "/result"}});
    if (r.target == "/temporary") return x.respond(307, {{"Location", "/result"}});
    x.respond(200, {}, r.method + ":" + r.body);
  });
  http::Client client(trusting_test_ca());
  http::Request post = request(server.url("/see-other"), "POST");
  post.headers = {{"Content-Type", "text/plain"}};
  post.body = "payload";
  post.max_redirects = 3;
  EXPECT_EQ(client.send(post).body, "GET:");
  EXPECT_FALSE(server.requests().back().has_header("Content-Type"));
  post.url = server.url("/temporary");
  EXPECT_EQ(client.send(post).body, "POST:payload");
}

TEST(HttpClient, DropsAuthorizationWhenARedirectLeavesTheHost) {
  if (!mf_test::localhost_resolves()) GTEST_SKIP() << "'localhost' does not resolve here";

  std::string cdn_url;
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.target == "/same") return x.respond(302, {{"Location", "/same-target"}});
    if (r.target == "/away") return x.respond(302, {{"Location", cdn_url}});
    x.respond(200, {}, r.header("Authorization"));
  });
  cdn_url = server.url("/cdn", "localhost");
  http::Client client(trusting_test_ca());
  http::Request req = request(server.url("/same"));
  req.headers = {{"Authorization", "Bearer s3cret"}};
  req.max_redirects = 2;
  EXPECT_EQ(client.send(req).body, "Bearer s3cret");
  req.url = server.url("/away");
  const http::Response r = client.send(req);
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.url, cdn_url);
  const auto seen = server.requests();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[2].header("Authorization"), "Bearer s3cret");  // /away itself
  EXPECT_FALSE(seen[3].has_header("Authorization"));
}

TEST(HttpClient, TimesOutASilentServer) {
  mf_test::Flag release;
  HttpsTestServer server(tls_server(), [&](const ServedRequest& r, TestExchange& x) {
    if (r.target == "/silent-body") {
      x.send_head(200, {{"Content-Length", "10"}});
      x.send_body("abc");
    }
    release.wait();
    x.close();
  });
  http::Client client(trusting_test_ca());
  http::Request req = request(server.url("/silent"));
  req.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  std::string error = transport_error_of([&] { client.send(req); });
  EXPECT_NE(error.find(server.url("/silent") + ": reading the response timed out"),
            std::string::npos)
      << error;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  req.url = server.url("/silent-body");
  std::string got;
  start = std::chrono::steady_clock::now();
  error = transport_error_of([&] {
    client.stream(req, [&](std::string_view d) {
      got += d;
      return true;
    });
  });
  EXPECT_NE(error.find("reading the response body timed out"), std::string::npos) << error;
  EXPECT_EQ(got, "abc");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  release.set();
}

TEST(HttpClient, CancelFromAnotherThreadEndsABlockedStreamAndEveryLaterCall) {
  mf_test::Flag first_piece;
  mf_test::Flag release;
  HttpsTestServer server(tls_server(), [&](const ServedRequest&, TestExchange& x) {
    x.send_head(200, {{"Transfer-Encoding", "chunked"}});
    x.send_chunk("first");
    release.wait();
    x.close();
  });
  http::Client client(trusting_test_ca());
  std::string error;
  std::thread reader([&] {
    http::Request req = request(server.url("/blocked"));
    req.timeout = 60s;
    error = transport_error_of([&] {
      client.stream(req, [&](std::string_view) {
        first_piece.set();
        return true;
      });
    });
  });
  ASSERT_TRUE(first_piece.wait());
  const auto start = std::chrono::steady_clock::now();
  client.cancel();
  reader.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  EXPECT_NE(error.find("cancelled"), std::string::npos) << error;

  error = transport_error_of([&] { client.send(request(server.url("/later"))); });
  EXPECT_NE(error.find("cancelled"), std::string::npos) << error;
  EXPECT_EQ(server.requests().size(), 1u);
  release.set();
}

TEST(HttpClient, RejectsAServerSignedByAnotherCa) {
  HttpsTestServer server(
      tls_server(), [](const ServedRequest&, TestExchange& x) { x.respond(200, {}, "secret"); });
  const mf_test::TestCa other("another CA");
  http::TlsConfig tls;
  tls.ca_pem = other.cert_pem();
  http::Client client(tls);
  const std::string error = transport_error_of([&] { client.send(request(server.url("/x"))); });
  EXPECT_NE(error.find(server.url("/x") + ": TLS handshake failed: certificate verify failed"),
            std::string::npos)
      << error;
  // Nor does the system's store trust it.
  http::Client system_store;
  EXPECT_NE(transport_error_of([&] {
              system_store.send(request(server.url("/x")));
            }).find("certificate verify failed"),
            std::string::npos);
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpClient, ChecksTheHostNameUnlessTold) {
  if (!mf_test::localhost_resolves()) GTEST_SKIP() << "'localhost' does not resolve here";

  HttpsTestServer::Options options = tls_server();
  options.server_cert = pki().ca.issue("elsewhere", {"DNS:elsewhere.example"}, false);
  HttpsTestServer server(options,
                         [](const ServedRequest&, TestExchange& x) { x.respond(200, {}, "ok"); });
  http::Client client(trusting_test_ca());
  const std::string error = transport_error_of([&] { client.send(request(server.url("/"))); });
  EXPECT_NE(error.find("certificate verify failed: IP address mismatch"), std::string::npos)
      << error;
  EXPECT_NE(transport_error_of([&] {
              client.send(request(server.url("/", "localhost")));
            }).find("hostname mismatch"),
            std::string::npos);

  http::TlsConfig insecure;
  insecure.insecure_skip_verify = true;
  http::Client trusting_anything(insecure);
  EXPECT_EQ(trusting_anything.send(request(server.url("/"))).body, "ok");
}

TEST(HttpClient, PresentsAClientCertificate) {
  HttpsTestServer::Options options = tls_server();
  options.client_ca_pem = pki().ca.cert_pem();
  HttpsTestServer server(options, [](const ServedRequest& r, TestExchange& x) {
    x.respond(200, {}, "hello " + r.client_cn);
  });
  http::Client anonymous(trusting_test_ca());
  EXPECT_NE(transport_error_of([&] { anonymous.send(request(server.url("/"))); }),
            "(no TransportError)");

  http::TlsConfig tls = trusting_test_ca();
  tls.client_cert_pem = pki().client.cert_pem;
  tls.client_key_pem = pki().client.key_pem;
  http::Client client(tls);
  EXPECT_EQ(client.send(request(server.url("/"))).body, "hello test-client");
}

TEST(HttpClient, RejectsUnusableTlsConfiguration) {
  http::TlsConfig tls;
  tls.ca_pem = "not a certificate";
  EXPECT_THROW(http::Client{tls}, std::invalid_argument);
  tls = {};
  tls.client_cert_pem = pki().client.cert_pem;
  EXPECT_THROW(http::Client{tls}, std::invalid_argument);
  tls.client_key_pem = pki().server.key_pem;  // not the certificate's key
  EXPECT_THROW(http::Client{tls}, std::invalid_argument);
}

TEST(HttpClient, RefusesABodyOverTheLimit) {
  HttpsTestServer server(tls_server(), [](const ServedRequest&, TestExchange& x) {
    x.send_head(200, {{"Content-Length", std::to_string(std::uint64_t{100} << 20)}});
    x.send_body("x");
  });
  http::Client client(trusting_test_ca());
  const std::string error = transport_error_of([&] { client.send(request(server.url("/big"))); });
  EXPECT_NE(error.find("exceeds the limit of 64 MiB"), std::string::npos) << error;
}

TEST(HttpClient, ReportsConnectFailuresAndBadRequests) {
  // A port nothing listens on: bind one, note it, close it.
  std::uint16_t port = 0;
  {
    HttpsTestServer closed(tls_server(), [](const ServedRequest&, TestExchange&) {});
    port = closed.port();
  }
  const std::string url = "https://127.0.0.1:" + std::to_string(port) + "/m";
  http::Client client(trusting_test_ca());
  const std::string error = transport_error_of([&] { client.send(request(url)); });
  EXPECT_NE(error.find(url + ": connecting to 127.0.0.1:" + std::to_string(port) + " failed"),
            std::string::npos)
      << error;

  http::Request bad = request(url);
  bad.headers = {{"X-Injected", "a\r\nEvil: 1"}};
  EXPECT_THROW(client.send(bad), std::invalid_argument);
  bad = request("gopher://h/");
  EXPECT_THROW(client.send(bad), std::invalid_argument);
}

}  // namespace
