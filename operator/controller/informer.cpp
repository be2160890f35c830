#include "controller/informer.h"

#include <spdlog/spdlog.h>

#include <random>

namespace controller {

namespace {

constexpr std::chrono::milliseconds kInitialBackoff{500};
constexpr std::chrono::milliseconds kMaxBackoff{30000};
// Watches end after a random time in [5, 10) minutes, as client-go's do, so a fleet of
// operators does not reconnect in lockstep.
constexpr int kMinWatchSeconds = 300;

std::string resource_version_of(const json& object) {
  return object.value("metadata", json::object()).value("resourceVersion", "");
}

// Managed fields are bulky and the controller never reads them.
json without_managed_fields(json object) {
  if (auto meta = object.find("metadata"); meta != object.end() && meta->is_object()) {
    meta->erase("managedFields");
  }
  return object;
}

}  // namespace

std::string object_key(const json& object) {
  const json& meta = object.value("metadata", json::object());
  const std::string ns = meta.value("namespace", "");
  return ns + "/" + meta.value("name", "");
}

Informer::Informer(kube::ApiClient& client, kube::ResourceType type, std::string ns,
                   std::string label_selector, Handler handler, Counters counters)
    : client_(client),
      type_(std::move(type)),
      namespace_(std::move(ns)),
      label_selector_(std::move(label_selector)),
      handler_(std::move(handler)),
      counters_(std::move(counters)) {}

Informer::~Informer() { stop(); }

void Informer::start() {
  thread_ = std::thread([this] { run(); });
}

void Informer::stop() {
  stopping_ = true;
  {
    std::lock_guard lock(connection_mutex_);
    if (connection_) connection_->cancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Informer::wait_synced(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return synced_cv_.wait_for(lock, timeout, [this] { return synced_.load(); });
}

std::optional<json> Informer::get(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = cache_.find(ns + "/" + name);
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> Informer::list(const std::function<bool(const json&)>& keep) const {
  std::lock_guard lock(mutex_);
  std::vector<json> out;
  for (const auto& [key, object] : cache_) {
    if (!keep || keep(object)) out.push_back(object);
  }
  return out;
}

size_t Informer::size() const {
  std::lock_guard lock(mutex_);
  return cache_.size();
}

bool Informer::back_off(std::chrono::milliseconds& delay) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  // Up to 50% jitter keeps clients that failed together from retrying together.
  const auto jittered = delay + std::chrono::milliseconds(
                                    std::uniform_int_distribution<long>(0, delay.count() / 2)(rng));
  delay = std::min(delay * 2, kMaxBackoff);
  std::unique_lock lock(connection_mutex_);
  return !stop_cv_.wait_for(lock, jittered, [this] { return stopping_.load(); });
}

std::string Informer::relist() {
  if (counters_.relisted) counters_.relisted();
  kube::ListOptions options;
  options.label_selector = label_selector_;
  kube::ListResult result = client_.list(type_, namespace_, options);

  std::map<std::string, json> fresh;
  for (auto& item : result.items) {
    json object = without_managed_fields(std::move(item));
    fresh.emplace(object_key(object), std::move(object));
  }
  std::vector<json> changed;
  {
    std::lock_guard lock(mutex_);
    // What disappeared while we were not watching is a deletion; what changed is an update.
    for (const auto& [key, old] : cache_) {
      if (fresh.count(key) == 0) changed.push_back(old);
    }
    for (const auto& [key, object] : fresh) {
      const auto it = cache_.find(key);
      if (it == cache_.end() || resource_version_of(it->second) != resource_version_of(object)) {
        changed.push_back(object);
      }
    }
    cache_ = std::move(fresh);
    synced_ = true;
  }
  synced_cv_.notify_all();
  for (const auto& object : changed) handler_(object);
  return result.resource_version;
}

void Informer::apply_event(const kube::WatchEvent& event) {
  json object = without_managed_fields(event.object);
  const std::string key = object_key(object);
  {
    std::lock_guard lock(mutex_);
    if (event.type == "DELETED") {
      cache_.erase(key);
    } else {
      cache_[key] = object;
    }
  }
  handler_(object);
}

std::string Informer::watch_from(std::string resource_version) {
  std::unique_ptr<http::Client> connection = client_.new_connection();
  {
    std::lock_guard lock(connection_mutex_);
    if (stopping_) return resource_version;
    connection_ = std::move(connection);
  }
  static thread_local std::mt19937 rng{std::random_device{}()};
  kube::WatchOptions options;
  options.resource_version = resource_version;
  options.label_selector = label_selector_;
  options.timeout_seconds =
      std::uniform_int_distribution<int>(kMinWatchSeconds, 2 * kMinWatchSeconds - 1)(rng);
  // The connection object lives until this watch returns; stop() cancels it under the mutex.
  http::Client& active = *connection_;
  try {
    client_.watch(active, type_, namespace_, options, [&](kube::WatchEvent&& event) {
      const std::string rv = resource_version_of(event.object);
      if (event.type != "BOOKMARK") apply_event(event);
      if (!rv.empty()) resource_version = rv;
      return !stopping_.load();
    });
  } catch (...) {
    std::lock_guard lock(connection_mutex_);
    connection_.reset();
    throw;
  }
  std::lock_guard lock(connection_mutex_);
  connection_.reset();
  return resource_version;
}

void Informer::run() {
  std::string resource_version;
  auto delay = kInitialBackoff;
  while (!stopping_) {
    try {
      if (resource_version.empty()) resource_version = relist();
      resource_version = watch_from(resource_version);
      delay = kInitialBackoff;
      if (!stopping_ && counters_.watch_restarted) counters_.watch_restarted();
    } catch (const kube::ApiError& e) {
      if (stopping_) break;
      if (counters_.watch_restarted) counters_.watch_restarted();
      if (e.gone()) {
        spdlog::info("{} watch: resourceVersion {} expired, relisting", type_.plural,
                     resource_version);
        resource_version.clear();
        continue;
      }
      spdlog::warn("{} list/watch failed: {}", type_.plural, e.what());
      if (!back_off(delay)) break;
    } catch (const std::exception& e) {
      if (stopping_) break;
      if (counters_.watch_restarted) counters_.watch_restarted();
      spdlog::warn("{} list/watch failed: {}; retrying", type_.plural, e.what());
      if (!back_off(delay)) break;
    }
  }
}

}  // namespace controller
