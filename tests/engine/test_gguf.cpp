#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "gguf_builder.h"

using engine::GgmlType;
using engine::GgufError;
using engine::GgufFile;
using engine::GgufType;
using engine::GgufValue;
using testing_gguf::Builder;

namespace {

// A valid file: two metadata entries and one 32-element F32 tensor.
Builder valid_file() {
  Builder b;
  b.header(3, 1, 2).kv_str("general.architecture", "llama").kv_u32("llama.block_count", 2);
  b.tensor("t", {32}, 0, 0).align().zeros(32 * 4);
  return b;
}

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    GgufFile::parse(bytes, "bad.gguf");
  } catch (const GgufError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Gguf, ParsesMetadataAndTensors) {
  const Builder b = valid_file();
  const GgufFile f = GgufFile::parse(b.bytes, "ok.gguf");
  EXPECT_EQ(f.version(), 3u);
  ASSERT_NE(f.find("general.architecture"), nullptr);
  EXPECT_EQ(*f.find("general.architecture")->as_string(), "llama");
  EXPECT_EQ(f.find("llama.block_count")->as_int(), 2);
  ASSERT_EQ(f.tensors().size(), 1u);
  EXPECT_EQ(f.tensor("t")->n_bytes, 128u);
  EXPECT_EQ(f.tensor("t")->data, b.bytes.data() + f.data_offset());
  EXPECT_EQ(f.data_offset() % 32, 0u);
}

TEST(Gguf, WriterRoundTripsEveryValueType) {
  const std::string path = testing::TempDir() + "/roundtrip.gguf";
  engine::GgufWriter w(64);
  w.add_metadata("u8", GgufValue(GgufType::UINT8, uint64_t{200}));
  w.add_metadata("i8", GgufValue(GgufType::INT8, int64_t{-100}));
  w.add_metadata("u16", GgufValue(GgufType::UINT16, uint64_t{60000}));
  w.add_metadata("i16", GgufValue(GgufType::INT16, int64_t{-30000}));
  w.add_metadata("u32", GgufValue::u32(4000000000u));
  w.add_metadata("i32", GgufValue::i32(-2000000000));
  w.add_metadata("f32", GgufValue::f32(0.25f));
  w.add_metadata("bool", GgufValue::boolean(true));
  w.add_metadata("str", GgufValue::string("héllo"));
  w.add_metadata("u64", GgufValue::u64(1ull << 40));
  w.add_metadata("i64", GgufValue(GgufType::INT64, int64_t{-(1ll << 40)}));
  w.add_metadata("f64", GgufValue(GgufType::FLOAT64, 1e-300));
  w.add_metadata("arr", GgufValue::array(GgufType::STRING, {GgufValue::string("a"),
                                                             GgufValue::string("bc")}));
  w.add_metadata("nested", GgufValue::array(GgufType::ARRAY,
                                            {GgufValue::array(GgufType::INT32, {GgufValue::i32(7)})}));
  w.add_tensor("a", {32, 2}, GgmlType::F32);
  w.add_tensor("b", {64}, GgmlType::F16);
  w.write(path, [](size_t i, std::span<uint8_t> out) {
    for (size_t k = 0; k < out.size(); ++k) out[k] = static_cast<uint8_t>(i * 7 + k);
  });
  const GgufFile f = GgufFile::open(path);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.find("u8")->as_int(), 200);
  EXPECT_EQ(f.find("i8")->as_int(), -100);
  EXPECT_EQ(f.find("u16")->as_int(), 60000);
  EXPECT_EQ(f.find("i16")->as_int(), -30000);
  EXPECT_EQ(f.find("u32")->as_int(), 4000000000ll);
  EXPECT_EQ(f.find("i32")->as_int(), -2000000000);
  EXPECT_EQ(f.find("f32")->as_number(), 0.25);
  EXPECT_EQ(f.find("bool")->as_bool(), true);
  EXPECT_EQ(*f.find("str")->as_string(), "héllo");
  EXPECT_EQ(f.find("u64")->as_int(), 1ll << 40);
  EXPECT_EQ(f.find("i64")->as_int(), -(1ll << 40));
  EXPECT_EQ(f.find("f64")->as_number(), 1e-300);
  ASSERT_EQ(f.find("arr")->as_array()->items.size(), 2u);
  EXPECT_EQ(*f.find("arr")->as_array()->items[1].as_string(), "bc");
  EXPECT_EQ(f.find("nested")->as_array()->items[0].as_array()->items[0].as_int(), 7);
  ASSERT_EQ(f.tensors().size(), 2u);
  EXPECT_EQ(f.tensor("a")->shape, (std::vector<int64_t>{32, 2}));
  EXPECT_EQ(f.tensor("b")->n_bytes, 128u);
  EXPECT_EQ(f.tensor("b")->offset % 64, 0u);
  EXPECT_EQ(f.tensor("b")->data[5], static_cast<uint8_t>(1 * 7 + 5));
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST(Gguf, VersionTwoIsAccepted) {
  Builder b;
  b.header(2, 0, 1).kv_u32("x", 1);
  EXPECT_EQ(GgufFile::parse(b.bytes, "v2.gguf").version(), 2u);
}

// Each corruption gets the message that names its problem.
TEST(Gguf, CorruptFilesGetSpecificErrors) {
  struct Case {
    const char* what;
    Builder file;
    const char* expected;
  };
  std::vector<Case> cases;
  {
    Builder b = valid_file();
    b.bytes[0] = 'X';
    cases.push_back({"bad magic", b, "not a GGUF file"});
  }
  cases.push_back({"version 1", Builder().header(1, 0, 0), "version 1 is not supported"});
  cases.push_back({"version 9", Builder().header(9, 0, 0), "unsupported GGUF version 9"});
  cases.push_back({"big endian", Builder().header(0x03000000, 0, 0), "big-endian"});
  cases.push_back({"empty", Builder(), "truncated while reading magic"});
  cases.push_back({"huge kv count", Builder().header(3, 0, 1ull << 60), "metadata entries"});
  cases.push_back({"huge tensor count", Builder().header(3, 1ull << 60, 0), "tensors, more than"});
  cases.push_back({"string past end",
                   Builder().header(3, 0, 1).pod<uint64_t>(1000).pod<uint32_t>(0),
                   "metadata key has length 1000"});
  cases.push_back({"unknown value type",
                   Builder().header(3, 0, 1).str("k").pod<uint32_t>(99), "unknown value type 99"});
  cases.push_back({"huge array",
                   Builder().header(3, 0, 1).str("k").pod<uint32_t>(9).pod<uint32_t>(4).pod<uint64_t>(
                       1ull << 40),
                   "array items, more than the file can hold"});
  cases.push_back({"bad bool", Builder().header(3, 0, 1).str("k").pod<uint32_t>(7).pod<uint8_t>(5),
                   "bool value 5"});
  cases.push_back({"duplicate key",
                   Builder().header(3, 0, 2).kv_u32("k", 1).kv_u32("k", 2), "appears twice"});
  cases.push_back({"bad alignment",
                   Builder().header(3, 0, 1).kv_u32("general.alignment", 24),
                   "general.alignment must be a positive power of two"});
  cases.push_back({"unknown tensor type",
                   Builder().header(3, 1, 0).tensor("t", {32}, 77, 0).align().zeros(128),
                   "tensor 't' has unknown type id 77"});
  cases.push_back({"too many dims",
                   Builder().header(3, 1, 0).tensor("t", {2, 2, 2, 2, 2}, 0, 0),
                   "has 5 dimensions"});
  cases.push_back({"zero dim", Builder().header(3, 1, 0).tensor("t", {0}, 0, 0),
                   "invalid dimension 0"});
  cases.push_back({"overflowing dims",
                   Builder().header(3, 1, 0).tensor("t", {1ull << 40, 1ull << 40}, 0, 0),
                   "invalid dimension"});
  cases.push_back({"row not a block multiple",
                   Builder().header(3, 1, 0).tensor("t", {100}, 12, 0), "not a multiple of its block size 256"});
  cases.push_back({"misaligned offset",
                   Builder().header(3, 1, 0).tensor("t", {32}, 0, 4).align().zeros(256),
                   "is not aligned to 32"});
  cases.push_back({"tensor past end",
                   Builder().header(3, 1, 0).tensor("t", {32}, 0, 0).align().zeros(64),
                   "extends past the end of the file"});
  cases.push_back({"duplicate tensor",
                   Builder().header(3, 2, 0).tensor("t", {32}, 0, 0).tensor("t", {32}, 0, 128).align().zeros(256),
                   "tensor 't' appears twice"});
  for (const Case& c : cases) {
    const std::string err = parse_error(c.file.bytes);
    EXPECT_NE(err.find(c.expected), std::string::npos)
        << c.what << ": expected \"" << c.expected << "\" in \"" << err << "\"";
    EXPECT_EQ(err.rfind("bad.gguf: ", 0), 0u) << c.what << ": the message names the file";
  }
}

// Every truncation of a valid file fails cleanly with a GgufError, never a crash.
TEST(Gguf, EveryTruncationIsAnError) {
  const Builder b = valid_file();
  for (size_t n = 0; n < b.bytes.size(); ++n) {
    std::vector<uint8_t> cut(b.bytes.begin(), b.bytes.begin() + n);
    EXPECT_FALSE(parse_error(cut).empty()) << "prefix of " << n << " bytes parsed";
  }
}

TEST(Gguf, MissingFileNamesThePath) {
  try {
    GgufFile::open("/nonexistent/model.gguf");
    FAIL() << "opened a missing file";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf: cannot open"),
              std::string::npos);
  }
}
