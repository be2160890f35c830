// YAML to JSON as kubectl sends it: which plain scalars become numbers, booleans and nulls, and
// which stay strings.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "yaml_json.h"

namespace {

using fakeapi::yaml_documents_to_json;
using fakeapi::yaml_to_json;
using fakeapi::YamlError;
using nlohmann::json;

TEST(YamlJson, PlainScalarsResolveToJsonTypes) {
  const json j = yaml_to_json(
      "int: 1\n"
      "neg: -7\n"
      "plus: +3\n"
      "float: 1.5\n"
      "leading_dot: .5\n"
      "exp: 1e3\n"
      "trailing_dot: 1.\n"
      "t: true\n"
      "f: False\n"
      "n1: null\n"
      "n2: ~\n"
      "n3:\n"
      "n4: NULL\n"
      "s: hello world\n"
      "version: 1.2.3\n"
      "time: 12:30\n"
      "date: 2024-01-01\n");
  EXPECT_EQ(j, json({{"int", 1},
                     {"neg", -7},
                     {"plus", 3},
                     {"float", 1.5},
                     {"leading_dot", 0.5},
                     {"exp", 1000.0},
                     {"trailing_dot", 1.0},
                     {"t", true},
                     {"f", false},
                     {"n1", nullptr},
                     {"n2", nullptr},
                     {"n3", nullptr},
                     {"n4", nullptr},
                     {"s", "hello world"},
                     {"version", "1.2.3"},
                     {"time", "12:30"},
                     {"date", "2024-01-01"}}));
  // Integers stay integers, floats stay floats, even when the value is whole.
  EXPECT_TRUE(j["int"].is_number_integer());
  EXPECT_TRUE(j["exp"].is_number_float());
  EXPECT_TRUE(j["trailing_dot"].is_number_float());
}

TEST(YamlJson, QuotedAndBlockScalarsStayStrings) {
  const json j = yaml_to_json(
      "a: '1'\n"
      "b: \"true\"\n"
      "c: 'null'\n"
      "d: \"1.5\"\n"
      "e: '~'\n"
      "f: \"\"\n"
      "g: |\n"
      "  line one\n"
      "  line two\n"
      "h: >-\n"
      "  folded\n"
      "  text\n"
      "i: \"8\"\n");
  EXPECT_EQ(j, json({{"a", "1"},
                     {"b", "true"},
                     {"c", "null"},
                     {"d", "1.5"},
                     {"e", "~"},
                     {"f", ""},
                     {"g", "line one\nline two\n"},
                     {"h", "folded text"},
                     {"i", "8"}}));
}

TEST(YamlJson, Yaml11BooleansAsKubectlReadsThem) {
  const json j = yaml_to_json("[yes, Yes, YES, no, NO, on, On, off, OFF, y, N, TRUE, yes please]");
  EXPECT_EQ(j, json({true, true, true, false, false, true, true, false, false, true, false, true,
                     "yes please"}));
}

TEST(YamlJson, IntegerBasesAndLimits) {
  const json j = yaml_to_json(
      "[0x1F, 0o17, 017, 0b101, 1_000, 0, -0, 9223372036854775807, -9223372036854775808, "
      "18446744073709551615, 99999999999999999999, 08, 0x, 1e, '-', .]");
  ASSERT_EQ(j.size(), 16u);
  EXPECT_EQ(j[0], 31);
  EXPECT_EQ(j[1], 15);
  EXPECT_EQ(j[2], 15);  // a leading zero is octal, as in go-yaml
  EXPECT_EQ(j[3], 5);
  EXPECT_EQ(j[4], 1000);
  EXPECT_EQ(j[5], 0);
  EXPECT_EQ(j[6], 0);
  EXPECT_EQ(j[7].get<int64_t>(), INT64_MAX);
  EXPECT_EQ(j[8].get<int64_t>(), INT64_MIN);
  EXPECT_TRUE(j[9].is_number_unsigned());
  EXPECT_EQ(j[9].get<uint64_t>(), UINT64_MAX);
  EXPECT_TRUE(j[10].is_number_float());  // past uint64: a float, as go-yaml does
  EXPECT_DOUBLE_EQ(j[10].get<double>(), 1e20);
  EXPECT_TRUE(j[11].is_number_float());  // not octal, but a float
  EXPECT_EQ(j[11], 8.0);
  EXPECT_EQ(j[12], "0x");
  EXPECT_EQ(j[13], "1e");
  EXPECT_EQ(j[14], "-");
  EXPECT_EQ(j[15], ".");
}

TEST(YamlJson, Tags) {
  const json j = yaml_to_json(
      "a: !!str 1\n"
      "b: !!int \"7\"\n"
      "c: !!float 1\n"
      "d: !!bool \"yes\"\n"
      "e: !!null ''\n"
      "f: !!str\n"
      "g: !custom 5\n");
  EXPECT_EQ(j["a"], "1");
  EXPECT_EQ(j["b"], 7);
  EXPECT_TRUE(j["c"].is_number_float());
  EXPECT_EQ(j["c"], 1.0);
  EXPECT_EQ(j["d"], true);
  EXPECT_TRUE(j["e"].is_null());
  EXPECT_EQ(j["f"], "");
  EXPECT_EQ(j["g"], 5);  // unknown tags are ignored
  EXPECT_THROW(yaml_to_json("a: !!int abc"), YamlError);
}

TEST(YamlJson, KeysAreTheirText) {
  const json j = yaml_to_json("1: one\ntrue: t\n'x': 2\n");
  EXPECT_EQ(j, json({{"1", "one"}, {"true", "t"}, {"x", 2}}));
  EXPECT_THROW(yaml_to_json("null: n\n"), YamlError);  // kubectl cannot convert a null key either
}

TEST(YamlJson, NestingAndAliases) {
  const json j = yaml_to_json(
      "base: &b {cpu: '8', memory: 8Gi}\n"
      "copy: *b\n"
      "list:\n"
      "  - name: a\n"
      "    ports: [80, 443]\n"
      "  - []\n"
      "  - {}\n");
  EXPECT_EQ(j["copy"], json({{"cpu", "8"}, {"memory", "8Gi"}}));
  EXPECT_EQ(j["list"],
            json::array({{{"name", "a"}, {"ports", {80, 443}}}, json::array(), json::object()}));
}

TEST(YamlJson, Documents) {
  EXPECT_TRUE(yaml_to_json("").is_null());
  EXPECT_TRUE(yaml_to_json("# only a comment\n").is_null());
  const std::vector<json> docs = yaml_documents_to_json("---\na: 1\n---\n---\n# empty\n---\n- 2\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0], json({{"a", 1}}));
  EXPECT_EQ(docs[1], json::array({2}));
  EXPECT_THROW(yaml_to_json("a: 1\n---\nb: 2\n"), YamlError);
}

TEST(YamlJson, Errors) {
  EXPECT_THROW(yaml_to_json("a: [1, 2"), YamlError);
  EXPECT_THROW(yaml_to_json("a: 1\na: 2\n"), YamlError);     // repeated key
  EXPECT_THROW(yaml_to_json("? [a, b]\n: 1\n"), YamlError);  // non-scalar key
  EXPECT_THROW(yaml_to_json("x: .inf\n"), YamlError);        // no JSON form
  EXPECT_THROW(yaml_to_json("x: -.Inf\n"), YamlError);
  EXPECT_THROW(yaml_to_json("x: .nan\n"), YamlError);
  try {
    yaml_to_json("a: 1\nb: 2\na: 3\n");
    FAIL() << "no error";
  } catch (const YamlError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
}

TEST(YamlJson, RecordedServerSideApplyBody) {
  // The YAML a server-side apply sent and the object the real apiserver stored from it.
  const std::filesystem::path dir = std::filesystem::path(MF_SHARED_DIR) / "k8s-api-samples";
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no recorded kube-apiserver samples at " << dir;
  }
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string request = read(dir / "ssa-apply-create.request.http");
  const json sent = yaml_to_json(request.substr(request.find("\n\n") + 2));
  const json stored = json::parse(read(dir / "ssa-apply-create.body.json"));
  EXPECT_EQ(sent["spec"], stored["spec"]);
  EXPECT_EQ(sent["metadata"]["labels"], stored["metadata"]["labels"]);
  EXPECT_EQ(sent["apiVersion"], stored["apiVersion"]);
}

}  // namespace
