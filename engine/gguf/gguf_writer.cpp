#include "gguf/gguf_writer.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

namespace engine {
namespace {

class Output {
 public:
  explicit Output(const std::string& path) : path_(path), f_(std::fopen(path.c_str(), "wb")) {
    if (!f_) throw std::runtime_error(path + ": cannot create: " + std::strerror(errno));
  }
  ~Output() {
    if (f_) std::fclose(f_);
  }
  void bytes(const void* p, size_t n) {
    if (n && std::fwrite(p, 1, n, f_) != n) {
      throw std::runtime_error(path_ + ": write failed: " + std::strerror(errno));
    }
    pos_ += n;
  }
  template <typename T>
  void pod(T v) {
    bytes(&v, sizeof v);
  }
  void string(const std::string& s) {
    pod<uint64_t>(s.size());
    bytes(s.data(), s.size());
  }
  void pad_to(uint64_t alignment) {
    static const uint8_t zeros[4096] = {};
    while (pos_ % alignment) bytes(zeros, std::min<uint64_t>(alignment - pos_ % alignment, 4096));
  }
  void close() {
    if (std::fclose(f_) != 0) {
      f_ = nullptr;
      throw std::runtime_error(path_ + ": close failed: " + std::strerror(errno));
    }
    f_ = nullptr;
  }

 private:
  std::string path_;
  FILE* f_;
  uint64_t pos_ = 0;
};

void write_value(Output& out, const GgufValue& v) {
  switch (v.type()) {
    case GgufType::UINT8: out.pod<uint8_t>(static_cast<uint8_t>(*v.as_int())); break;
    case GgufType::INT8: out.pod<int8_t>(static_cast<int8_t>(*v.as_int())); break;
    case GgufType::UINT16: out.pod<uint16_t>(static_cast<uint16_t>(*v.as_int())); break;
    case GgufType::INT16: out.pod<int16_t>(static_cast<int16_t>(*v.as_int())); break;
    case GgufType::UINT32: out.pod<uint32_t>(static_cast<uint32_t>(*v.as_int())); break;
    case GgufType::INT32: out.pod<int32_t>(static_cast<int32_t>(*v.as_int())); break;
    case GgufType::UINT64: out.pod<uint64_t>(static_cast<uint64_t>(*v.as_int())); break;
    case GgufType::INT64: out.pod<int64_t>(*v.as_int()); break;
    case GgufType::FLOAT32: out.pod<float>(static_cast<float>(*v.as_number())); break;
    case GgufType::FLOAT64: out.pod<double>(*v.as_number()); break;
    case GgufType::BOOL: out.pod<uint8_t>(*v.as_bool() ? 1 : 0); break;
    case GgufType::STRING: out.string(*v.as_string()); break;
    case GgufType::ARRAY: {
      const GgufArray& a = *v.as_array();
      out.pod<uint32_t>(static_cast<uint32_t>(a.element_type));
      out.pod<uint64_t>(a.items.size());
      for (const GgufValue& item : a.items) write_value(out, item);
      break;
    }
  }
}

}  // namespace

void GgufWriter::add_metadata(std::string key, GgufValue value) {
  metadata_.emplace_back(std::move(key), std::move(value));
}

void GgufWriter::add_tensor(std::string name, std::vector<int64_t> shape, GgmlType type) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  const size_t n_bytes = row_bytes(type, shape.at(0)) * static_cast<size_t>(n / shape[0]);
  tensors_.push_back({std::move(name), std::move(shape), type, n_bytes});
}

void GgufWriter::write(const std::string& path, const TensorFiller& fill) const {
  const std::string tmp = path + ".tmp";
  try {
    Output out(tmp);
    out.pod<uint32_t>(0x46554747);
    out.pod<uint32_t>(3);
    out.pod<uint64_t>(tensors_.size());
    out.pod<uint64_t>(metadata_.size() + 1);
    out.string("general.alignment");
    out.pod<uint32_t>(static_cast<uint32_t>(GgufType::UINT32));
    out.pod<uint32_t>(static_cast<uint32_t>(alignment_));
    for (const auto& [key, value] : metadata_) {
      out.string(key);
      out.pod<uint32_t>(static_cast<uint32_t>(value.type()));
      write_value(out, value);
    }
    uint64_t offset = 0;
    for (const Tensor& t : tensors_) {
      out.string(t.name);
      out.pod<uint32_t>(static_cast<uint32_t>(t.shape.size()));
      for (int64_t d : t.shape) out.pod<uint64_t>(static_cast<uint64_t>(d));
      out.pod<uint32_t>(static_cast<uint32_t>(t.type));
      out.pod<uint64_t>(offset);
      offset = (offset + t.n_bytes + alignment_ - 1) / alignment_ * alignment_;
    }
    out.pad_to(alignment_);
    std::vector<uint8_t> buf;
    for (size_t i = 0; i < tensors_.size(); ++i) {
      buf.assign(tensors_[i].n_bytes, 0);
      fill(i, buf);
      out.bytes(buf.data(), buf.size());
      out.pad_to(alignment_);
    }
    out.close();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw std::runtime_error(path + ": cannot rename from " + tmp + ": " + std::strerror(errno));
  }
}

}  // namespace engine
