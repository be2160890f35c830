// How the fake API server words its errors: Go's formatting of values, field errors, the 422
// Status, and the scale subresource and metadata.name checks.
#include <gtest/gtest.h>

#include "field_error.h"
#include "go_format.h"
#include "object_meta.h"
#include "scale_subresource.h"
#include "status.h"

namespace {

using fakeapi::Cause;
using nlohmann::json;
namespace gofmt = fakeapi::gofmt;

TEST(GoFormat, Quote) {
  EXPECT_EQ(gofmt::quote("plain"), "\"plain\"");
  EXPECT_EQ(gofmt::quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(gofmt::quote("tab\tnl\ncr\r"), "\"tab\\tnl\\ncr\\r\"");
  EXPECT_EQ(gofmt::quote(std::string("\x00\x1f\x7f", 3)), "\"\\x00\\x1f\\x7f\"");
  EXPECT_EQ(gofmt::quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");            // printable: kept
  EXPECT_EQ(gofmt::quote("\xc2\xa0"), "\"\\u00a0\"");                   // no-break space: escaped
  EXPECT_EQ(gofmt::quote("\xe2\x80\x8b"), "\"\\u200b\"");               // zero-width space
  EXPECT_EQ(gofmt::quote("bad\xff"), "\"bad\\xff\"");                   // invalid UTF-8
  EXPECT_EQ(gofmt::quote("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // emoji: kept
}

TEST(GoFormat, Floats) {
  EXPECT_EQ(gofmt::format_float(0.5), "0.5");
  EXPECT_EQ(gofmt::format_float(4.0), "4");
  EXPECT_EQ(gofmt::format_float(-2.5), "-2.5");
  EXPECT_EQ(gofmt::format_float(123456.0), "123456");
  EXPECT_EQ(gofmt::format_float(1e6), "1e+06");
  EXPECT_EQ(gofmt::format_float(1234567.0), "1.234567e+06");
  EXPECT_EQ(gofmt::format_float(0.0001), "0.0001");
  EXPECT_EQ(gofmt::format_float(0.00001), "1e-05");
  EXPECT_EQ(gofmt::format_float(1.5e-7), "1.5e-07");
  EXPECT_EQ(gofmt::format_float(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(gofmt::format_float(0.0), "0");
  EXPECT_EQ(gofmt::format_float(1e21), "1e+21");
}

TEST(GoFormat, ValuesAndTypes) {
  const json v = {{"b", {1, "x", nullptr}}, {"a", 1.5}};
  EXPECT_EQ(gofmt::value_v(v), "map[a:1.5 b:[1 x <nil>]]");
  EXPECT_EQ(
      gofmt::value_sharp_v(v),
      "map[string]interface {}{\"a\":1.5, \"b\":[]interface {}{1, \"x\", interface {}(nil)}}");
  EXPECT_EQ(gofmt::type_name(json("s")), "string");
  EXPECT_EQ(gofmt::type_name(json(3)), "int64");
  EXPECT_EQ(gofmt::type_name(json(3u)), "int64");
  EXPECT_EQ(gofmt::type_name(json(UINT64_MAX)), "float64");  // past int64 Go decodes a float
  EXPECT_EQ(gofmt::type_name(json(3.0)), "float64");
  EXPECT_EQ(gofmt::type_name(json(true)), "bool");
  EXPECT_EQ(gofmt::type_name(json()), "<nil>");
  EXPECT_EQ(gofmt::type_name(json::object()), "map[string]interface {}");
  EXPECT_EQ(gofmt::type_name(json::array()), "[]interface {}");
}

TEST(FieldError, Bodies) {
  EXPECT_EQ(fakeapi::required("spec.a"), (Cause{"FieldValueRequired", "Required value", "spec.a"}));
  EXPECT_EQ(fakeapi::required("spec.a", "why").message, "Required value: why");
  EXPECT_EQ(fakeapi::forbidden("spec.a", "no").message, "Forbidden: no");
  EXPECT_EQ(fakeapi::invalid("f", -1, "too small").message, "Invalid value: -1: too small");
  EXPECT_EQ(fakeapi::invalid("f", "x", "bad").message, "Invalid value: \"x\": bad");
  EXPECT_EQ(fakeapi::invalid("f", nullptr, "bad").message, "Invalid value: \"null\": bad");
  EXPECT_EQ(fakeapi::invalid("f", 2.5, "").message, "Invalid value: 2.5");
  EXPECT_EQ(fakeapi::invalid("f", json({{"k", 1}}), "bad").message,
            "Invalid value: map[string]interface {}{\"k\":1}: bad");
  EXPECT_EQ(fakeapi::type_invalid("f", "string", "d"),
            (Cause{"FieldValueTypeInvalid", "Invalid value: \"string\": d", "f"}));
  EXPECT_EQ(fakeapi::not_supported("f", "x", {"a", "b"}).message,
            "Unsupported value: \"x\": supported values: \"a\", \"b\"");
  EXPECT_EQ(fakeapi::too_long("f", 16).message, "Too long: may not be more than 16 bytes");
  EXPECT_EQ(fakeapi::too_long("f", -1).message, "Too long: value is too long");
  EXPECT_EQ(fakeapi::too_many("f", 5, 1).message, "Too many: 5: must have at most 1 item");
  EXPECT_EQ(fakeapi::too_many("f", -1, -1).message, "Too many: has too many items");
  EXPECT_EQ(fakeapi::to_string(fakeapi::required("spec.a")), "spec.a: Required value");
}

TEST(Status, InvalidBody) {
  const std::vector<Cause> one = {fakeapi::required("spec.size")};
  const nlohmann::ordered_json s = fakeapi::invalid_status("Widget", "example.com", "w", one);
  EXPECT_EQ(s.dump(),
            "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
            "\"message\":\"Widget.example.com \\\"w\\\" is invalid: spec.size: Required value\","
            "\"reason\":\"Invalid\",\"details\":{\"name\":\"w\",\"group\":\"example.com\","
            "\"kind\":\"Widget\",\"causes\":[{\"reason\":\"FieldValueRequired\","
            "\"message\":\"Required value\",\"field\":\"spec.size\"}]},\"code\":422}");
  // Several causes go in brackets, a repeated one once; the core group has no group field.
  const std::vector<Cause> two = {fakeapi::required("a"), fakeapi::required("a"),
                                  fakeapi::required("b")};
  const nlohmann::ordered_json p = fakeapi::invalid_status("Pod", "", "p", two);
  EXPECT_EQ(p["message"], "Pod \"p\" is invalid: [a: Required value, b: Required value]");
  EXPECT_FALSE(p["details"].contains("group"));
  EXPECT_EQ(p["details"]["causes"].size(), 3u);
}

const json kScale = {{"specReplicasPath", ".spec.replicas"},
                     {"statusReplicasPath", ".status.replicas"},
                     {"labelSelectorPath", ".status.selector"}};

TEST(Scale, SpecReplicas) {
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, {{"spec", {{"replicas", 3}}}}),
            std::vector<Cause>{});
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, json::object()), std::vector<Cause>{});
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, {{"spec", nullptr}}), std::vector<Cause>{});
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, {{"spec", {{"replicas", 2.5}}}}),
            (std::vector<Cause>{fakeapi::invalid(
                ".spec.replicas", 0,
                ".spec.replicas accessor error: 2.5 is of the type float64, expected int64")}));
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, {{"spec", "x"}}),
            (std::vector<Cause>{fakeapi::invalid(".spec.replicas", 0,
                                                 ".spec.replicas accessor error: x is of the type "
                                                 "string, expected map[string]interface{}")}));
  EXPECT_EQ(fakeapi::scale_spec_causes(kScale, {{"spec", {{"replicas", 2147483648}}}}),
            (std::vector<Cause>{fakeapi::invalid(".spec.replicas", 2147483648,
                                                 "should be less than or equal to 2147483647")}));
}

TEST(Scale, StatusReplicasAndSelector) {
  EXPECT_EQ(
      fakeapi::scale_status_causes(kScale, {{"status", {{"replicas", 1}, {"selector", "a=b"}}}}),
      std::vector<Cause>{});
  EXPECT_EQ(fakeapi::scale_status_causes(kScale, {{"status", {{"replicas", -2}, {"selector", 5}}}}),
            (std::vector<Cause>{
                fakeapi::invalid(".status.replicas", -2, "should be a non-negative integer"),
                fakeapi::invalid(".status.selector", "",
                                 ".status.selector accessor error: 5 is of the type int64, "
                                 "expected string")}));
}

TEST(ObjectMeta, Name) {
  EXPECT_EQ(fakeapi::object_name_causes({{"name", "mistral-7b.v2"}}), std::vector<Cause>{});
  EXPECT_EQ(fakeapi::object_name_causes({{"generateName", "m-"}}), std::vector<Cause>{});
  EXPECT_EQ(
      fakeapi::object_name_causes(json::object()),
      (std::vector<Cause>{fakeapi::required("metadata.name", "name or generateName is required")}));
  const std::vector<Cause> upper = fakeapi::object_name_causes({{"name", "Mistral"}});
  ASSERT_EQ(upper.size(), 1u);
  EXPECT_EQ(upper[0].field, "metadata.name");
  EXPECT_EQ(upper[0].message.rfind("Invalid value: \"Mistral\": a lowercase RFC 1123 subdomain", 0),
            0u);
  EXPECT_EQ(fakeapi::object_name_causes({{"name", std::string(254, 'a')}}).size(), 1u);
}

}  // namespace
