// `mistral-engine pull`: fetches one model file into a folder that replicas may share.
//  - A file already under its final name (matching the sha256 when one is given) is left alone.
//  - An flock on DIR/.NAME.lock lets one process download while the others wait, then find the
//    file present.
//  - Bytes go to DIR/.NAME.partial, which is fsynced and renamed when whole and verified.
//  - A HEAD first learns the file's identity (X-Linked-Etag, ETag, Last-Modified) and size; a
//    partial file of the same identity resumes with Range (and If-Range when the HEAD answered
//    directly), across runs and across retries inside one run.
//  - The sha256 checked is --sha256, else Hugging Face's X-Linked-Etag, else an ETag that is a
//    sha256; a mismatch deletes the download.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "http/http_client.h"
#include "pull/partial_file.h"
#include "pull/pull_error.h"
#include "pull/pull_source.h"

namespace engine::pull {

struct PullOptions {
  PullSource source;
  std::filesystem::path dest_dir;
  std::string file_name;  // "" for source.file_name
  std::string sha256;     // expected digest, hex; "" to take the server's when it gives one
  http::TlsConfig tls;    // default: the system's CA store (SSL_CERT_FILE is honoured)
  int attempts = 5;       // per run, for transport errors and 408/429/5xx answers
  std::chrono::milliseconds first_retry_delay{1000};  // doubles per attempt, up to 30 s
  std::chrono::milliseconds timeout{60000};  // connect and response head; silence in the body
  std::chrono::milliseconds progress_interval{5000};
  std::function<void(const std::string&)> log;  // progress and notes, one line each
  ChunkWriter write_chunk;                      // empty: write(2); tests simulate a full disk
};

struct PullResult {
  std::filesystem::path path;
  bool already_present = false;
  std::uint64_t bytes_downloaded = 0;  // over the network in this run
  std::string sha256;                  // of the file; "" when already present and not checked
  std::string verified_against;        // "--sha256", "X-Linked-Etag", "ETag"; "" if unverified
};

// Throws PullError.
PullResult pull_model_file(const PullOptions& options);

}  // namespace engine::pull
