#include "pull/pull_model_file.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <system_error>
#include <thread>

#include "pull/file_lock.h"
#include "pull/pull_progress.h"
#include "pull/sha256.h"

namespace engine::pull {
namespace {

// ".NAME.partial.json.tmp" must still fit in NAME_MAX.
constexpr std::size_t kMaxNameBytes = 200;
constexpr int kMaxRedirects = 10;
constexpr std::chrono::milliseconds kMaxRetryDelay{30000};

// A 408, 429 or 5xx answer: worth another attempt.
class RetryableAnswer : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void check_file_name(const std::string& name) {
  if (name.empty()) {
    throw PullError(PullFailure::kUsage,
                    "the URI names no file (it ends with '/'): give --file NAME");
  }
  if (name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\0') != std::string::npos || name.size() > kMaxNameBytes) {
    throw PullError(PullFailure::kUsage, "'" + name + "' is not a usable file name");
  }
  if (name[0] == '.') {
    throw PullError(PullFailure::kUsage,
                    "'" + name + "': names starting with '.' are kept for partial files and locks");
  }
}

std::optional<std::uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

// "bytes START-END/TOTAL" or "bytes */TOTAL"; TOTAL may be "*".
struct ContentRange {
  std::optional<std::uint64_t> start;
  std::optional<std::uint64_t> total;
};

ContentRange parse_content_range(std::string_view text) {
  ContentRange r;
  if (!text.starts_with("bytes ")) return r;
  text.remove_prefix(6);
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return r;
  r.total = parse_u64(text.substr(slash + 1));
  const std::string_view range = text.substr(0, slash);
  r.start = parse_u64(range.substr(0, range.find('-')));
  return r;
}

bool is_redirect(unsigned status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::uint64_t free_bytes(const std::filesystem::path& dir) {
  struct statvfs st {};
  if (::statvfs(dir.c_str(), &st) != 0) return UINT64_MAX;
  return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
}

std::string bytes_text(std::uint64_t n) {
  return std::to_string(n) + " bytes (" + human_bytes(static_cast<double>(n)) + ")";
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// What a HEAD tells before any byte is fetched.
struct Probe {
  std::string identity;   // of the file's content; "" when nothing identifies it
  std::string validator;  // for If-Range: only when the HEAD was answered by the server that
                          // will send the bytes (a redirect's ETag means nothing to the CDN)
  std::uint64_t total = 0;
  bool ranges = true;
  std::string sha256;  // from X-Linked-Etag or ETag
  std::string sha256_source;
};

class Download {
 public:
  Download(const PullOptions& o, std::string name, std::string expected_sha256);
  PullResult run();

 private:
  enum class Step { kDone, kStartOver };

  Step attempt();
  Probe probe();
  Step finish(const Probe& probe, const std::string& response_etag);
  void start_over(const PartialOrigin& origin, const std::string& why);
  void check_space(std::uint64_t needed) const;
  [[noreturn]] void fail_status(const http::Response& r) const;
  [[noreturn]] void fail_local(const std::system_error& e) const;
  http::Headers auth() const;
  void log(const std::string& line) const {
    if (o_.log) o_.log(line);
  }

  const PullOptions& o_;
  const PullSource& src_;
  std::string name_;
  std::string expected_;
  std::filesystem::path final_path_;
  http::Client client_;
  PartialFile partial_;
  PullProgress progress_;
  // The digest of the partial file's first hashed_ bytes, carried across attempts.
  Sha256 hasher_;
  std::uint64_t hashed_ = 0;
  bool hasher_valid_ = true;
  bool allow_resume_ = true;
  std::uint64_t total_ = 0;
  std::uint64_t downloaded_ = 0;
  PullResult result_;
};

http::Client make_client(const http::TlsConfig& tls) {
  try {
    return http::Client(tls);
  } catch (const std::invalid_argument& e) {
    throw PullError(PullFailure::kUsage, e.what());
  }
}

Download::Download(const PullOptions& o, std::string name, std::string expected_sha256)
    : o_(o),
      src_(o.source),
      name_(std::move(name)),
      expected_(std::move(expected_sha256)),
      final_path_(o.dest_dir / name_),
      client_(make_client(o.tls)),
      partial_(o.dest_dir, name_, o.write_chunk),
      progress_(name_, o.progress_interval, o.log) {}

http::Headers Download::auth() const {
  if (src_.token.empty()) return {};
  return {{"Authorization", "Bearer " + src_.token}};
}

void Download::fail_status(const http::Response& r) const {
  const std::string status = "HTTP " + std::to_string(r.status) + " from " + r.url;
  // Hugging Face explains itself in X-Error-Code / X-Error-Message (e.g. GatedRepo).
  std::string detail = r.header("X-Error-Message");
  if (detail.empty() && !r.header("X-Error-Code").empty()) detail = r.header("X-Error-Code");
  detail = detail.empty() ? "" : "; the server says: " + detail;
  if (r.status == 401 || r.status == 403) {
    throw PullError(PullFailure::kAccess,
                    "access denied (" + status + "): the token is missing or lacks access to " +
                        src_.repository + " — " + src_.token_hint +
                        (src_.token.empty() ? " (no token is set)" : " (a token was sent)") +
                        detail);
  }
  if (r.status == 404) {
    const std::string what =
        src_.hugging_face ? src_.path + " in " + src_.repository + " at revision " + src_.revision
                          : r.url;
    throw PullError(PullFailure::kNotFound, "no such file: " + what + " (" + status + ")" + detail);
  }
  std::string body = r.body.substr(0, 200);
  std::replace_if(
      body.begin(), body.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  throw PullError(PullFailure::kServer,
                  "unexpected " + status + detail + (body.empty() ? "" : ": " + body));
}

void Download::fail_local(const std::system_error& e) const {
  if (e.code().value() == ENOSPC || e.code().value() == EDQUOT) {
    const std::uint64_t free = free_bytes(o_.dest_dir);
    const std::string where = "writing " + name_ + " into " + o_.dest_dir.string();
    if (total_ > 0) {
      const std::uint64_t needed = total_ > partial_.size() ? total_ - partial_.size() : 0;
      throw PullError(PullFailure::kDiskFull, "disk full " + where + ": " + bytes_text(needed) +
                                                  " more were needed (" + bytes_text(total_) +
                                                  " in all), " + bytes_text(free) + " are free");
    }
    throw PullError(PullFailure::kDiskFull, "disk full " + where + " after " +
                                                bytes_text(partial_.size()) + "; " +
                                                bytes_text(free) + " are free");
  }
  throw PullError(PullFailure::kFilesystem, name_ + ": " + e.what());
}

void Download::check_space(std::uint64_t needed) const {
  const std::uint64_t free = free_bytes(o_.dest_dir);
  if (free >= needed) return;
  throw PullError(PullFailure::kDiskFull, "disk full: " + name_ + " needs " + bytes_text(needed) +
                                              " more in " + o_.dest_dir.string() + " (" +
                                              bytes_text(total_) + " in all), but only " +
                                              bytes_text(free) + " are free");
}

Probe Download::probe() {
  http::Request head;
  head.method = "HEAD";
  head.url = src_.url;
  head.headers = auth();
  head.timeout = o_.timeout;
  http::Response r = client_.send(head);
  // Same-host redirects (a renamed Hugging Face repository) lead to the answer with the metadata;
  // the first redirect to another host is that answer.
  for (int hop = 0; is_redirect(r.status) && hop < kMaxRedirects; ++hop) {
    const std::string location = r.header("Location");
    if (!location.starts_with('/') || location.starts_with("//")) break;
    head.url = http::Url::parse(r.url).origin() + location;
    r = client_.send(head);
  }
  Probe p;
  const std::string linked_etag = r.header("X-Linked-Etag");
  const std::string etag = r.header("ETag");
  if (r.status >= 200 && r.status < 300) {
    p.validator = etag.empty() || etag.starts_with("W/") ? r.header("Last-Modified") : etag;
    p.identity = !linked_etag.empty() ? linked_etag
                 : !etag.empty()      ? etag
                                      : r.header("Last-Modified");
    const std::string size = r.header("X-Linked-Size");
    p.total = parse_u64(size.empty() ? r.header("Content-Length") : size).value_or(0);
    p.ranges = lower(r.header("Accept-Ranges")) != "none";
  } else if (is_redirect(r.status)) {
    // Hugging Face answers a resolve URL with a redirect to its CDN that carries the LFS
    // file's sha256 and size.
    p.identity = !linked_etag.empty() ? linked_etag : etag;
    p.total = parse_u64(r.header("X-Linked-Size")).value_or(0);
  } else if (r.status == 408 || r.status == 429 || r.status >= 500) {
    throw RetryableAnswer("HTTP " + std::to_string(r.status) + " from " + r.url);
  } else {
    // Any other answer tells nothing, and the GET decides: some servers refuse HEAD (405), and
    // a URL signed for GET (S3, CDNs) answers HEAD with 403.
    return p;
  }
  if (!(p.sha256 = sha256_from_etag(linked_etag)).empty()) {
    p.sha256_source = "X-Linked-Etag";
  } else if (!(p.sha256 = sha256_from_etag(etag)).empty()) {
    p.sha256_source = "ETag";
  }
  return p;
}

void Download::start_over(const PartialOrigin& origin, const std::string& why) {
  if (!why.empty()) log(name_ + ": " + why + "; starting over");
  partial_.restart(origin);
  hasher_ = Sha256();
  hashed_ = 0;
  hasher_valid_ = true;
}

Download::Step Download::attempt() {
  const Probe p = probe();
  const PartialOrigin origin{src_.url, p.identity, p.validator, p.total};
  total_ = p.total;
  std::uint64_t offset = 0;
  if (partial_.size() > 0) {
    const std::optional<PartialOrigin> recorded = partial_.origin();
    const bool same_file =
        recorded && !p.identity.empty() && recorded->url == origin.url &&
        recorded->identity == origin.identity &&
        (p.total == 0 || recorded->total_size == 0 || recorded->total_size == p.total) &&
        (p.total == 0 || partial_.size() <= p.total);
    if (allow_resume_ && p.ranges && same_file) {
      offset = partial_.size();
    } else {
      start_over(origin, "the partial download (" +
                             human_bytes(static_cast<double>(partial_.size())) +
                             ") is not known to be of the file on the server now");
    }
  } else {
    start_over(origin, "");
  }
  if (offset > 0) {
    if (!hasher_valid_ || hashed_ != offset) {
      log(name_ + ": hashing the " + human_bytes(static_cast<double>(offset)) +
          " already downloaded");
      hasher_ = Sha256();
      partial_.hash_into(hasher_);
      hashed_ = offset;
      hasher_valid_ = true;
    }
    log(name_ + ": resuming at " + human_bytes(static_cast<double>(offset)) +
        (p.total ? " of " + human_bytes(static_cast<double>(p.total)) : ""));
  }
  if (p.total > 0) {
    check_space(p.total - offset);
    if (offset == p.total) return finish(p, "");
  }

  http::Request get;
  get.url = src_.url;
  get.headers = auth();
  get.timeout = o_.timeout;
  get.max_redirects = kMaxRedirects;
  if (offset > 0) {
    get.headers.emplace_back("Range", "bytes=" + std::to_string(offset) + "-");
    if (!p.validator.empty()) get.headers.emplace_back("If-Range", p.validator);
  }
  progress_.start(offset, p.total);
  const http::Response r = client_.stream(get, [&](std::string_view bytes) {
    hasher_valid_ = false;  // until the bytes are both on disk and hashed
    partial_.append(bytes);
    hasher_.update(bytes);
    hashed_ += bytes.size();
    hasher_valid_ = true;
    downloaded_ += bytes.size();
    progress_.update(partial_.size());
    return true;
  });

  if (r.status == 206) {
    const ContentRange range = parse_content_range(r.header("Content-Range"));
    if (range.start != offset) {
      allow_resume_ = false;
      start_over(origin,
                 "the server answered a different range (" + r.header("Content-Range") + ")");
      return Step::kStartOver;
    }
    if (range.total) total_ = *range.total;
  } else if (r.status == 200) {
    if (offset > 0) {
      // Its bytes went after the old ones; If-Range or a server ignoring Range sent it all.
      allow_resume_ = false;
      start_over(origin,
                 "the server sent the whole file instead of the rest (it changed, or the "
                 "server ignores ranges)");
      return Step::kStartOver;
    }
    if (const auto length = parse_u64(r.header("Content-Length"))) total_ = *length;
  } else if (r.status == 416) {
    const ContentRange range = parse_content_range(r.header("Content-Range"));
    if (range.total != offset) {
      allow_resume_ = false;
      start_over(origin, "the server refused the range (" + r.header("Content-Range") + ")");
      return Step::kStartOver;
    }
    total_ = offset;  // the partial file already holds every byte
  } else if (r.status == 408 || r.status == 429 || r.status >= 500) {
    throw RetryableAnswer("HTTP " + std::to_string(r.status) + " from " + r.url);
  } else {
    fail_status(r);
  }
  if (total_ > 0 && partial_.size() != total_) {
    throw http::TransportError(r.url + ": the body ended after " + std::to_string(partial_.size()) +
                               " of " + std::to_string(total_) + " bytes");
  }
  return finish(p, r.header("ETag"));
}

Download::Step Download::finish(const Probe& p, const std::string& response_etag) {
  std::string expected = expected_;
  std::string source = "--sha256";
  if (expected.empty()) {
    expected = p.sha256;
    source = p.sha256_source;
  }
  if (expected.empty() && !(expected = sha256_from_etag(response_etag)).empty()) source = "ETag";
  if (!hasher_valid_ || hashed_ != partial_.size()) {
    hasher_ = Sha256();
    partial_.hash_into(hasher_);
    hashed_ = partial_.size();
    hasher_valid_ = true;
  }
  const std::string actual = hasher_.hex();
  if (!expected.empty() && actual != expected) {
    partial_.discard();
    throw PullError(PullFailure::kChecksum, "sha256 mismatch for " + name_ + ": expected " +
                                                expected + " (" + source + "), got " + actual +
                                                "; the download was deleted");
  }
  partial_.commit(final_path_);
  result_ = {final_path_, false, downloaded_, actual, expected.empty() ? "" : source};
  log(name_ + ": downloaded " + progress_.summary(downloaded_) + ", sha256 " + actual +
      (expected.empty() ? " (not verified: no checksum known)" : " verified (" + source + ")"));
  return Step::kDone;
}

PullResult Download::run() {
  log(name_ + ": fetching " + src_.url + " into " + o_.dest_dir.string());
  std::chrono::milliseconds delay = o_.first_retry_delay;
  std::string last_error;
  int restarts = 0;
  const int attempts = std::max(1, o_.attempts);
  for (int n = 1; n <= attempts; ++n) {
    try {
      if (attempt() == Step::kDone) return result_;
      // Starting over is no failure, but it happens at most a few times.
      if (++restarts <= 3) --n;
      last_error = "the download had to start over too often";
      continue;
    } catch (const http::TransportError& e) {
      last_error = e.what();
    } catch (const RetryableAnswer& e) {
      last_error = e.what();
    } catch (const std::system_error& e) {
      fail_local(e);
    }
    if (n < attempts) {
      char when[64];
      std::snprintf(when, sizeof when, "; retrying in %.1f s (attempt %d of %d)",
                    static_cast<double>(delay.count()) / 1000.0, n + 1, attempts);
      log(name_ + ": " + last_error + when);
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, kMaxRetryDelay);
    }
  }
  throw PullError(PullFailure::kNetwork, "giving up on " + name_ + " after " +
                                             std::to_string(attempts) + " attempts: " + last_error);
}

// The final file, when it is there and matches `expected` (if given).
std::optional<PullResult> already_present(const std::filesystem::path& path,
                                          const std::string& expected,
                                          const std::function<void(const std::string&)>& log) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  const auto note = [&](const std::string& line) {
    if (log) log(line);
  };
  if (expected.empty()) {
    note(path.string() + " is already present");
    return PullResult{path, true, 0, "", ""};
  }
  note("checking the sha256 of " + path.string());
  const std::string actual = sha256_of_file(path);
  if (actual == expected) {
    note(path.string() + " is already present (sha256 verified)");
    return PullResult{path, true, 0, actual, "--sha256"};
  }
  note(path.string() + " is present but its sha256 is " + actual + ", not " + expected +
       ": downloading it again");
  return std::nullopt;
}

}  // namespace

PullResult pull_model_file(const PullOptions& o) {
  const std::string name = o.file_name.empty() ? o.source.file_name : o.file_name;
  check_file_name(name);
  const std::string expected = lower(o.sha256);
  if (!expected.empty() && !is_sha256_hex(expected)) {
    throw PullError(PullFailure::kUsage, "--sha256 must be 64 hex digits, not '" + o.sha256 + "'");
  }
  try {
    std::filesystem::create_directories(o.dest_dir);
    const std::filesystem::path final_path = o.dest_dir / name;
    if (auto present = already_present(final_path, expected, o.log)) return *present;
    const FileLock lock(o.dest_dir / ("." + name + ".lock"), [&] {
      if (o.log) {
        o.log(name + ": another pull of it into " + o.dest_dir.string() +
              " is under way; waiting for it to finish");
      }
    });
    if (auto present = already_present(final_path, expected, o.log)) return *present;
    Download download(o, name, expected);
    return download.run();
  } catch (const std::system_error& e) {
    const int code = e.code().value();
    throw PullError(
        code == ENOSPC || code == EDQUOT ? PullFailure::kDiskFull : PullFailure::kFilesystem,
        name + ": " + e.what());
  }
}

}  // namespace engine::pull
