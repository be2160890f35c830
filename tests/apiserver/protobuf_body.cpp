#include "protobuf_body.h"

#include <cstdint>
#include <string_view>

#include "api_errors.h"
#include "object_util.h"

namespace fakeapi {
namespace {

using nlohmann::json;

constexpr std::string_view kMagic("k8s\0", 4);

// Protobuf wire format: each field is a varint key (number << 3 | wire type), then a varint,
// 8 or 4 fixed bytes, or a varint length and that many bytes.
struct Field {
  uint32_t number = 0;
  uint64_t varint = 0;     // wire type 0
  std::string_view bytes;  // wire type 2
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool next(Field& f) {
    if (pos_ == data_.size()) return false;
    const uint64_t key = varint();
    f = Field{static_cast<uint32_t>(key >> 3), 0, {}};
    switch (key & 7) {
      case 0:
        f.varint = varint();
        break;
      case 1:
        skip(8);
        break;
      case 2: {
        const uint64_t n = varint();
        if (n > data_.size() - pos_) throw malformed();
        f.bytes = data_.substr(pos_, n);
        pos_ += n;
        break;
      }
      case 5:
        skip(4);
        break;
      default:
        throw malformed();
    }
    return true;
  }

 private:
  static ApiError malformed() {
    return bad_request("the body of the request was in an unknown format: malformed protobuf");
  }

  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ == data_.size()) throw malformed();
      const auto byte = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    throw malformed();
  }

  void skip(size_t n) {
    if (n > data_.size() - pos_) throw malformed();
    pos_ += n;
  }

  std::string_view data_;
  size_t pos_ = 0;
};

ApiError unsupported(const std::string& what) {
  return ApiError(415, failure_status(415, "UnsupportedMediaType",
                                      "fake-kube-apiserver decodes protobuf bodies of Secret and "
                                      "DeleteOptions only (got " +
                                          what + "); send application/json"));
}

// A map<string, string|bytes> entry: key = 1, value = 2.
std::pair<std::string, std::string> map_entry(std::string_view entry) {
  Reader r(entry);
  std::pair<std::string, std::string> kv;
  for (Field f; r.next(f);) {
    if (f.number == 1) kv.first = f.bytes;
    if (f.number == 2) kv.second = f.bytes;
  }
  return kv;
}

void set_string(json& obj, const char* key, std::string_view value) {
  if (!value.empty()) obj[key] = std::string(value);
}

// metav1.ObjectMeta, the fields a client sets; the server-owned ones (selfLink,
// creationTimestamp, generation, managedFields...) are ignored as the server ignores them.
json object_meta(std::string_view message) {
  json meta = json::object();
  Reader r(message);
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1:
        set_string(meta, "name", f.bytes);
        break;
      case 2:
        set_string(meta, "generateName", f.bytes);
        break;
      case 3:
        set_string(meta, "namespace", f.bytes);
        break;
      case 5:
        set_string(meta, "uid", f.bytes);
        break;
      case 6:
        set_string(meta, "resourceVersion", f.bytes);
        break;
      case 11:
      case 12: {
        const auto [k, v] = map_entry(f.bytes);
        meta[f.number == 11 ? "labels" : "annotations"][k] = v;
        break;
      }
      case 13:
        throw unsupported("ownerReferences");
      case 14:
        meta["finalizers"].push_back(std::string(f.bytes));
        break;
      default:
        break;
    }
  }
  return meta;
}

// core/v1 Secret: metadata = 1, data = 2, type = 3, stringData = 4, immutable = 5.
json secret(std::string_view message) {
  json obj = {{"apiVersion", "v1"}, {"kind", "Secret"}};
  Reader r(message);
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1:
        obj["metadata"] = object_meta(f.bytes);
        break;
      case 2: {
        const auto [k, v] = map_entry(f.bytes);
        obj["data"][k] = base64_encode(v);
        break;
      }
      case 3:
        set_string(obj, "type", f.bytes);
        break;
      case 4: {
        const auto [k, v] = map_entry(f.bytes);
        obj["stringData"][k] = v;
        break;
      }
      case 5:
        obj["immutable"] = f.varint != 0;
        break;
      default:
        break;
    }
  }
  return obj;
}

// meta/v1 DeleteOptions: gracePeriodSeconds = 1, preconditions = 2 {uid = 1,
// resourceVersion = 2}, orphanDependents = 3, propagationPolicy = 4, dryRun = 5.
json delete_options(const std::string& api_version, std::string_view message) {
  json obj = {{"apiVersion", api_version}, {"kind", "DeleteOptions"}};
  Reader r(message);
  for (Field f; r.next(f);) {
    switch (f.number) {
      case 1:
        obj["gracePeriodSeconds"] = static_cast<int64_t>(f.varint);
        break;
      case 2: {
        json pre = json::object();
        Reader p(f.bytes);
        for (Field g; p.next(g);) {
          if (g.number == 1) pre["uid"] = std::string(g.bytes);
          if (g.number == 2) pre["resourceVersion"] = std::string(g.bytes);
        }
        obj["preconditions"] = pre;
        break;
      }
      case 3:
        obj["orphanDependents"] = f.varint != 0;
        break;
      case 4:
        set_string(obj, "propagationPolicy", f.bytes);
        break;
      case 5:
        obj["dryRun"].push_back(std::string(f.bytes));
        break;
      default:
        break;
    }
  }
  return obj;
}

}  // namespace

bool is_protobuf(const std::string& content_type) {
  return content_type.starts_with("application/vnd.kubernetes.protobuf");
}

json decode_protobuf(const std::string& body) {
  if (!std::string_view(body).starts_with(kMagic)) {
    throw bad_request(
        "the body of the request was in an unknown format: no protobuf envelope (k8s\\0)");
  }
  // runtime.Unknown: typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2, contentEncoding = 3.
  std::string api_version;
  std::string kind;
  std::string_view raw;
  Reader r(std::string_view(body).substr(kMagic.size()));
  for (Field f; r.next(f);) {
    if (f.number == 1) {
      Reader t(f.bytes);
      for (Field g; t.next(g);) {
        if (g.number == 1) api_version = g.bytes;
        if (g.number == 2) kind = g.bytes;
      }
    } else if (f.number == 2) {
      raw = f.bytes;
    } else if (f.number == 3 && !f.bytes.empty()) {
      throw unsupported("contentEncoding " + std::string(f.bytes));
    }
  }
  if (api_version == "v1" && kind == "Secret") return secret(raw);
  if (kind == "DeleteOptions") return delete_options(api_version, raw);
  throw unsupported(api_version + " " + kind);
}

}  // namespace fakeapi
