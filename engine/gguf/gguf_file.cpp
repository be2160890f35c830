#include "gguf/gguf_file.h"

#include <cstring>
#include <limits>

#include "gguf/mapped_file.h"

namespace engine {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read little-endian
constexpr uint32_t kMaxDims = 4;         // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint32_t kMaxArrayNesting = 4;

// Bounds-checked little-endian reads over the file; every failure names the offset.
class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw GgufError(name_ + ": " + what + " (at byte offset " + std::to_string(pos_) + ")");
  }

  template <typename T>
  T read(const char* what) {
    if (remaining() < sizeof(T)) {
      fail(std::string("file truncated while reading ") + what + ": needs " +
           std::to_string(sizeof(T)) + " bytes, " + std::to_string(remaining()) + " left");
    }
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const char* what) {
    const uint64_t len = read<uint64_t>(what);
    if (len > remaining()) {
      fail(std::string(what) + " has length " + std::to_string(len) + " but only " +
           std::to_string(remaining()) + " bytes remain in the file");
    }
    std::string s(reinterpret_cast<const char*>(bytes_.data() + pos_), len);
    pos_ += len;
    return s;
  }

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t pos() const { return pos_; }

 private:
  std::span<const uint8_t> bytes_;
  const std::string& name_;
  size_t pos_ = 0;
};

// The smallest encoding of one value of `type`, to reject absurd counts before allocating.
size_t min_encoded_size(GgufType type) {
  switch (type) {
    case GgufType::UINT8:
    case GgufType::INT8:
    case GgufType::BOOL: return 1;
    case GgufType::UINT16:
    case GgufType::INT16: return 2;
    case GgufType::UINT32:
    case GgufType::INT32:
    case GgufType::FLOAT32: return 4;
    case GgufType::STRING:
    case GgufType::UINT64:
    case GgufType::INT64:
    case GgufType::FLOAT64: return 8;
    case GgufType::ARRAY: return 12;
  }
  return 1;
}

GgufValue read_value(Cursor& c, GgufType type, const std::string& key, uint32_t depth) {
  switch (type) {
    case GgufType::UINT8: return {type, uint64_t{c.read<uint8_t>("u8 value")}};
    case GgufType::INT8: return {type, int64_t{c.read<int8_t>("i8 value")}};
    case GgufType::UINT16: return {type, uint64_t{c.read<uint16_t>("u16 value")}};
    case GgufType::INT16: return {type, int64_t{c.read<int16_t>("i16 value")}};
    case GgufType::UINT32: return {type, uint64_t{c.read<uint32_t>("u32 value")}};
    case GgufType::INT32: return {type, int64_t{c.read<int32_t>("i32 value")}};
    case GgufType::FLOAT32: return {type, double{c.read<float>("f32 value")}};
    case GgufType::UINT64: return {type, c.read<uint64_t>("u64 value")};
    case GgufType::INT64: return {type, c.read<int64_t>("i64 value")};
    case GgufType::FLOAT64: return {type, c.read<double>("f64 value")};
    case GgufType::BOOL: {
      const uint8_t b = c.read<uint8_t>("bool value");
      if (b > 1) c.fail("metadata '" + key + "' has bool value " + std::to_string(b));
      return {type, b == 1};
    }
    case GgufType::STRING: return {type, c.read_string("string value")};
    case GgufType::ARRAY: {
      if (depth >= kMaxArrayNesting) c.fail("metadata '" + key + "' nests arrays too deeply");
      const uint32_t elem = c.read<uint32_t>("array element type");
      if (!gguf_type_known(elem)) {
        c.fail("metadata '" + key + "' has an array of unknown type " + std::to_string(elem));
      }
      const uint64_t n = c.read<uint64_t>("array length");
      const auto etype = static_cast<GgufType>(elem);
      if (n > c.remaining() / min_encoded_size(etype)) {
        c.fail("metadata '" + key + "' claims " + std::to_string(n) +
               " array items, more than the file can hold");
      }
      GgufArray arr{etype, {}};
      arr.items.reserve(n);
      for (uint64_t i = 0; i < n; ++i) arr.items.push_back(read_value(c, etype, key, depth + 1));
      return {type, std::move(arr)};
    }
  }
  c.fail("metadata '" + key + "' has unknown value type");
}

}  // namespace

int64_t GgufTensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

GgufFile GgufFile::open(const std::string& path) {
  GgufFile f;
  f.name_ = path;
  f.mapping_ = std::make_shared<MappedFile>(path);
  f.bytes_ = f.mapping_->bytes();
  f.parse_all();
  return f;
}

GgufFile GgufFile::parse(std::span<const uint8_t> bytes, const std::string& name) {
  GgufFile f;
  f.name_ = name;
  f.bytes_ = bytes;
  f.parse_all();
  return f;
}

const GgufValue* GgufFile::find(const std::string& key) const {
  auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const GgufTensorInfo* GgufFile::tensor(const std::string& name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::parse_all() {
  Cursor c(bytes_, name_);
  const uint32_t magic = c.read<uint32_t>("magic");
  if (magic != kMagic) c.fail("not a GGUF file (bad magic)");
  version_ = c.read<uint32_t>("version");
  if (version_ == 1) c.fail("GGUF version 1 is not supported (only 2 and 3); re-convert the model");
  if (version_ != 2 && version_ != 3) {
    // A byte-swapped small number means a big-endian file.
    if ((version_ & 0xffff) == 0 && (version_ >> 24) <= 3) {
      c.fail("big-endian GGUF files are not supported");
    }
    c.fail("unsupported GGUF version " + std::to_string(version_));
  }
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  if (n_kv > c.remaining() / 12) {
    c.fail("header claims " + std::to_string(n_kv) + " metadata entries, more than the file holds");
  }
  for (uint64_t i = 0; i < n_kv; ++i) {
    std::string key = c.read_string("metadata key");
    if (key.empty()) c.fail("metadata entry " + std::to_string(i) + " has an empty key");
    const uint32_t type = c.read<uint32_t>("metadata value type");
    if (!gguf_type_known(type)) {
      c.fail("metadata '" + key + "' has unknown value type " + std::to_string(type));
    }
    GgufValue v = read_value(c, static_cast<GgufType>(type), key, 0);
    if (!metadata_index_.emplace(key, metadata_.size()).second) {
      c.fail("metadata key '" + key + "' appears twice");
    }
    metadata_.emplace_back(std::move(key), std::move(v));
  }

  if (const GgufValue* a = find("general.alignment")) {
    const auto al = a->as_int();
    if (!al || *al <= 0 || (*al & (*al - 1)) != 0 || *al > (1 << 20)) {
      c.fail("general.alignment must be a positive power of two, got " + a->to_display_string());
    }
    alignment_ = static_cast<uint64_t>(*al);
  } else {
    alignment_ = kDefaultAlignment;
  }

  if (n_tensors > c.remaining() / 24) {
    c.fail("header claims " + std::to_string(n_tensors) + " tensors, more than the file holds");
  }
  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensorInfo t;
    t.name = c.read_string("tensor name");
    const uint32_t n_dims = c.read<uint32_t>("tensor dimension count");
    if (n_dims == 0 || n_dims > kMaxDims) {
      c.fail("tensor '" + t.name + "' has " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    }
    int64_t n_elem = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t ne = c.read<uint64_t>("tensor dimension");
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          static_cast<int64_t>(ne) > std::numeric_limits<int64_t>::max() / n_elem) {
        c.fail("tensor '" + t.name + "' has an invalid dimension " + std::to_string(ne));
      }
      n_elem *= static_cast<int64_t>(ne);
      t.shape.push_back(static_cast<int64_t>(ne));
    }
    const uint32_t type_id = c.read<uint32_t>("tensor type");
    const auto info = type_info(type_id);
    if (!info) c.fail("tensor '" + t.name + "' has unknown type id " + std::to_string(type_id));
    t.type = static_cast<GgmlType>(type_id);
    if (t.shape[0] % info->block_size != 0) {
      c.fail("tensor '" + t.name + "' of type " + std::string(info->name) + " has row length " +
             std::to_string(t.shape[0]) + ", not a multiple of its block size " +
             std::to_string(info->block_size));
    }
    t.offset = c.read<uint64_t>("tensor data offset");
    if (t.offset % alignment_ != 0) {
      c.fail("tensor '" + t.name + "' data offset " + std::to_string(t.offset) +
             " is not aligned to " + std::to_string(alignment_));
    }
    const uint64_t blocks = static_cast<uint64_t>(n_elem / info->block_size);
    if (blocks > std::numeric_limits<uint64_t>::max() / info->block_bytes) {
      c.fail("tensor '" + t.name + "' is impossibly large");
    }
    t.n_bytes = blocks * info->block_bytes;
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) {
      c.fail("tensor '" + t.name + "' appears twice");
    }
    tensors_.push_back(std::move(t));
  }

  data_offset_ = (c.pos() + alignment_ - 1) / alignment_ * alignment_;
  for (GgufTensorInfo& t : tensors_) {
    const uint64_t avail = data_offset_ <= bytes_.size() ? bytes_.size() - data_offset_ : 0;
    if (t.offset > avail || t.n_bytes > avail - t.offset) {
      throw GgufError(name_ + ": tensor '" + t.name + "' (" + std::to_string(t.n_bytes) +
                      " bytes at data offset " + std::to_string(t.offset) +
                      ") extends past the end of the file (" + std::to_string(bytes_.size()) +
                      " bytes): the file is truncated or corrupt");
    }
    t.data = bytes_.data() + data_offset_ + t.offset;
  }
}

}  // namespace engine
