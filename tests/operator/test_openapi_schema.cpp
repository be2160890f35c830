// The fake API server's schema machinery on small schemas: validation messages as
// kube-apiserver words them, pruning, defaulting, and the structural-schema rules.
#include <gtest/gtest.h>

#include "openapi_schema.h"

namespace {

using fakeapi::Cause;
using nlohmann::json;

json object_with(json properties) {
  return {{"type", "object"}, {"properties", std::move(properties)}};
}

std::vector<Cause> validate_field(const json& field_schema, const json& value) {
  return fakeapi::validate(object_with({{"f", field_schema}}), {{"f", value}});
}

Cause invalid(const std::string& detail_with_value, const std::string& field = "f") {
  return {"FieldValueInvalid", "Invalid value: " + detail_with_value, field};
}

TEST(Validate, TypesAndTheirMessages) {
  const json integer = {{"type", "integer"}};
  EXPECT_EQ(validate_field(integer, 3), std::vector<Cause>{});
  EXPECT_EQ(validate_field(integer, 3.0), std::vector<Cause>{});  // integral floats are integers
  EXPECT_EQ(validate_field(integer, 3.5),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"number\": f in body must be of type integer: "
                                 "\"number\"",
                                 "f"}}));
  EXPECT_EQ(validate_field({{"type", "number"}}, 3), std::vector<Cause>{});
  EXPECT_EQ(validate_field({{"type", "string"}}, true),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"boolean\": f in body must be of type string: "
                                 "\"boolean\"",
                                 "f"}}));
  EXPECT_EQ(validate_field({{"type", "object"}}, json::array()),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"array\": f in body must be of type object: "
                                 "\"array\"",
                                 "f"}}));
  EXPECT_EQ(validate_field({{"type", "boolean"}}, nullptr),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"null\": f in body must be of type boolean: "
                                 "\"null\"",
                                 "f"}}));
  EXPECT_EQ(validate_field({{"type", "boolean"}, {"nullable", true}}, nullptr),
            std::vector<Cause>{});
}

TEST(Validate, StringLimits) {
  const json s = {{"type", "string"}, {"minLength", 2}, {"maxLength", 3}, {"pattern", "^[a-z]+$"}};
  EXPECT_EQ(validate_field(s, "abc"), std::vector<Cause>{});
  EXPECT_EQ(validate_field(s, "\xc3\xa9\xc3\xa9\xc3\xa9"),  // three runes, six bytes
            (std::vector<Cause>{
                invalid("\"\xc3\xa9\xc3\xa9\xc3\xa9\": f in body should match '^[a-z]+$'")}));
  EXPECT_EQ(
      validate_field(s, "abcd"),
      (std::vector<Cause>{{"FieldValueTooLong", "Too long: may not be more than 3 bytes", "f"}}));
  EXPECT_EQ(validate_field(s, "a"),
            (std::vector<Cause>{invalid("\"a\": f in body should be at least 2 chars long")}));
  EXPECT_EQ(validate_field(s, "A1"),
            (std::vector<Cause>{invalid("\"A1\": f in body should match '^[a-z]+$'")}));
  // Only the first failing string check is reported.
  EXPECT_EQ(validate_field(s, "ABCDE").size(), 1u);
  EXPECT_EQ(validate_field({{"type", "string"}, {"maxLength", 1}}, "ab")[0].message,
            "Too long: may not be more than 1 byte");
}

TEST(Validate, NumberLimits) {
  const json n = {
      {"type", "number"}, {"minimum", 0.5}, {"maximum", 10}, {"exclusiveMaximum", true}};
  EXPECT_EQ(validate_field(n, 0.5), std::vector<Cause>{});
  EXPECT_EQ(
      validate_field(n, 0.25),
      (std::vector<Cause>{invalid("0.25: f in body should be greater than or equal to 0.5")}));
  EXPECT_EQ(validate_field(n, 10.0),
            (std::vector<Cause>{invalid("10: f in body should be less than 10")}));
  // Integer values compare against the truncated limit, as kube-openapi does.
  EXPECT_EQ(validate_field(n, 0), std::vector<Cause>{});
  EXPECT_EQ(
      validate_field({{"type", "integer"}, {"minimum", 1000000}}, 5),
      (std::vector<Cause>{invalid("5: f in body should be greater than or equal to 1000000")}));
  EXPECT_EQ(
      validate_field({{"type", "number"}, {"minimum", 1000000}}, 5.5),
      (std::vector<Cause>{invalid("5.5: f in body should be greater than or equal to 1e+06")}));
  EXPECT_EQ(validate_field({{"type", "integer"}, {"multipleOf", 4}}, 6),
            (std::vector<Cause>{invalid("6: f in body should be a multiple of 4")}));
  EXPECT_EQ(validate_field({{"type", "number"}, {"multipleOf", 0.5}}, 1.5), std::vector<Cause>{});
  EXPECT_EQ(validate_field({{"type", "number"}, {"multipleOf", 0.5}}, 1.25),
            (std::vector<Cause>{invalid("1.25: f in body should be a multiple of 0.5")}));
}

TEST(Validate, Enums) {
  EXPECT_EQ(validate_field({{"type", "integer"}, {"enum", {1, 2}}}, 3),
            (std::vector<Cause>{{"FieldValueNotSupported",
                                 "Unsupported value: 3: supported values: \"1\", \"2\"", "f"}}));
  EXPECT_EQ(validate_field({{"type", "number"}, {"enum", {1.0, 2.5}}}, 1), std::vector<Cause>{});
  // A wrong type is reported twice: by the type check and by the enum.
  EXPECT_EQ(validate_field({{"type", "string"}, {"enum", {"a"}}}, 5),
            (std::vector<Cause>{
                {"FieldValueTypeInvalid",
                 "Invalid value: \"integer\": f in body must be of type string: "
                 "\"integer\"",
                 "f"},
                {"FieldValueNotSupported", "Unsupported value: 5: supported values: \"a\"", "f"}}));
}

TEST(Validate, ArraysAndPaths) {
  const json list = {{"type", "array"},
                     {"maxItems", 2},
                     {"minItems", 1},
                     {"items", object_with({{"n", {{"type", "integer"}}}})}};
  EXPECT_EQ(
      validate_field(list, json::array({{{"n", "x"}}, {{"n", 1}}, {{"n", 2}}})),
      (std::vector<Cause>{{"FieldValueTypeInvalid",
                           "Invalid value: \"string\": f[0].n in body must be of type "
                           "integer: \"string\"",
                           "f[0].n"},
                          {"FieldValueTooMany", "Too many: 3: must have at most 2 items", "f"}}));
  EXPECT_EQ(validate_field(list, json::array()),
            (std::vector<Cause>{invalid("0: f in body should have at least 1 items")}));
  EXPECT_EQ(
      validate_field({{"type", "array"}, {"items", {{"type", "integer"}}}, {"uniqueItems", true}},
                     {1, 2, 1}),
      (std::vector<Cause>{invalid("\"\": f in body shouldn't contain duplicates")}));
}

TEST(Validate, MapsAndObjects) {
  const json labels = {
      {"type", "object"}, {"additionalProperties", {{"type", "string"}}}, {"maxProperties", 1}};
  EXPECT_EQ(validate_field(labels, {{"a.b/c", 1}}),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"integer\": f.a.b/c in body must be of type "
                                 "string: \"integer\"",
                                 "f.a.b/c"}}));
  EXPECT_EQ(
      validate_field(labels, {{"a", "1"}, {"b", "2"}}),
      (std::vector<Cause>{{"FieldValueTooMany", "Too many: 2: must have at most 1 item", "f"}}));
  // Properties in name order, then the missing required ones.
  const json s = {
      {"type", "object"},
      {"required", {"z", "a"}},
      {"properties",
       {{"a", {{"type", "string"}}}, {"b", {{"type", "string"}}}, {"z", {{"type", "string"}}}}}};
  EXPECT_EQ(fakeapi::validate(object_with({{"o", s}}), {{"o", {{"b", 1}}}}),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"integer\": o.b in body must be of type string: "
                                 "\"integer\"",
                                 "o.b"},
                                {"FieldValueRequired", "Required value", "o.z"},
                                {"FieldValueRequired", "Required value", "o.a"}}));
}

TEST(Validate, FormatsTheServerChecks) {
  const json dt = {{"type", "string"}, {"format", "date-time"}};
  for (const char* ok : {"2024-01-01T00:00:00Z", "2024-02-29t23:59:59.123+02:00"}) {
    EXPECT_EQ(validate_field(dt, ok), std::vector<Cause>{}) << ok;
  }
  for (const char* bad : {"2024-01-01", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "now"}) {
    EXPECT_EQ(validate_field(dt, bad),
              (std::vector<Cause>{{"FieldValueTypeInvalid",
                                   "Invalid value: \"" + std::string(bad) +
                                       "\": f in body must be of type date-time: \"" + bad + "\"",
                                   "f"}}))
        << bad;
  }
  // A number where a formatted string belongs is reported against the format.
  EXPECT_EQ(validate_field(dt, 5),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"int64\": f in body must be of type date-time: "
                                 "\"int64\"",
                                 "f"}}));
  // Formats the server strips constrain nothing.
  EXPECT_EQ(validate_field({{"type", "integer"}, {"format", "int32"}}, 5000000000),
            std::vector<Cause>{});
  EXPECT_EQ(validate_field({{"type", "string"}, {"format", "uuid"}}, "not-a-uuid").size(), 1u);
}

TEST(Validate, JunctorsAndIntOrString) {
  const json quantity = {{"x-kubernetes-int-or-string", true},
                         {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}}};
  EXPECT_EQ(validate_field(quantity, 5), std::vector<Cause>{});
  EXPECT_EQ(validate_field(quantity, "5Gi"), std::vector<Cause>{});
  EXPECT_EQ(validate_field(quantity, 1.5),
            (std::vector<Cause>{{"FieldValueTypeInvalid",
                                 "Invalid value: \"number\": f in body must be of type "
                                 "integer,string: \"number\"",
                                 "f"},
                                // Errors of anyOf and oneOf carry no field, as in the real server.
                                {"FieldValueInvalid",
                                 "Invalid value: \"\": \"f\" must validate at least one schema "
                                 "(anyOf)",
                                 "<nil>"},
                                {"FieldValueTypeInvalid",
                                 "Invalid value: \"number\": f in body must be of type integer: "
                                 "\"number\"",
                                 "f"}}));
  const json one = {{"type", "object"},
                    {"properties", {{"a", {{"type", "string"}}}, {"b", {{"type", "string"}}}}},
                    {"oneOf", {{{"required", {"a"}}}, {{"required", {"b"}}}}}};
  EXPECT_EQ(validate_field(one, {{"a", "x"}}), std::vector<Cause>{});
  EXPECT_EQ(validate_field(one, {{"a", "x"}, {"b", "y"}}),
            (std::vector<Cause>{{"FieldValueInvalid",
                                 "Invalid value: \"\": \"f\" must validate one and only one schema "
                                 "(oneOf). Found 2 valid alternatives",
                                 "<nil>"}}));
  EXPECT_EQ(validate_field({{"type", "string"}, {"not", {{"enum", {"x"}}}}}, "x"),
            (std::vector<Cause>{{"FieldValueInvalid",
                                 "Invalid value: \"\": \"f\" must not validate the schema (not)",
                                 "<nil>"}}));
}

TEST(Prune, DropsUnknownFieldsOnly) {
  const json s = {
      {"type", "object"},
      {"properties",
       {{"spec",
         object_with(
             {{"list", {{"type", "array"}, {"items", object_with({{"k", {{"type", "string"}}}})}}},
              {"free",
               {{"type", "object"},
                {"x-kubernetes-preserve-unknown-fields", true},
                {"properties", {{"typed", object_with({{"k", {{"type", "string"}}}})}}}}},
              {"map",
               {{"type", "object"},
                {"additionalProperties", object_with({{"k", {{"type", "string"}}}})}}},
              {"pod",
               {{"type", "object"},
                {"x-kubernetes-embedded-resource", true},
                {"properties", {{"spec", {{"type", "object"}}}}}}}})}}}};
  json obj = {{"apiVersion", "v1"},
              {"kind", "K"},
              {"metadata", {{"name", "n"}}},
              {"extra", 1},
              {"spec",
               {{"list", json::array({{{"k", "v"}, {"junk", 1}}})},
                {"free", {{"anything", {{"goes", 1}}}, {"typed", {{"k", "v"}, {"junk", 2}}}}},
                {"map", {{"a", {{"k", "v"}, {"junk", 3}}}}},
                {"pod",
                 {{"apiVersion", "v1"},
                  {"kind", "Pod"},
                  {"metadata", {{"name", "p"}}},
                  {"spec", json::object()},
                  {"junk", 4}}},
                {"unknown", true}}}};
  const std::vector<std::string> pruned = fakeapi::prune(s, obj);
  EXPECT_EQ(pruned, (std::vector<std::string>{"spec.free.typed.junk", "spec.list[0].junk",
                                              "spec.map.a.junk", "spec.pod.junk", "spec.unknown",
                                              "extra"}));
  EXPECT_EQ(obj, json({{"apiVersion", "v1"},
                       {"kind", "K"},
                       {"metadata", {{"name", "n"}}},
                       {"spec",
                        {{"list", json::array({{{"k", "v"}}})},
                         {"free", {{"anything", {{"goes", 1}}}, {"typed", {{"k", "v"}}}}},
                         {"map", {{"a", {{"k", "v"}}}}},
                         {"pod",
                          {{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata", {{"name", "p"}}},
                           {"spec", json::object()}}}}}}));
  // Not at a resource root: apiVersion, kind and metadata are fields like any other.
  json nested = {{"kind", "K"}};
  EXPECT_EQ(fakeapi::prune(object_with(json::object()), nested, false),
            std::vector<std::string>{"kind"});
}

TEST(Defaults, ApplyWhereTheParentExists) {
  const json s =
      object_with({{"a", object_with({{"x", {{"type", "integer"}, {"default", 1}}}})},
                   {"b",
                    {{"type", "object"},
                     {"default", json::object()},
                     {"properties", {{"y", {{"type", "string"}, {"default", "why"}}}}}}},
                   {"list",
                    {{"type", "array"},
                     {"items", object_with({{"z", {{"type", "boolean"}, {"default", false}}}})}}},
                   {"n", {{"type", "integer"}}},
                   {"m", {{"type", "integer"}, {"default", 7}}},
                   {"keep", {{"type", "string"}, {"nullable", true}, {"default", "d"}}}});
  json obj = {{"list", json::array({json::object(), {{"z", true}}})},
              {"n", nullptr},
              {"m", nullptr},
              {"keep", nullptr}};
  fakeapi::apply_defaults(s, obj);
  EXPECT_EQ(obj, json({{"b", {{"y", "why"}}},  // an object default is defaulted inside
                       {"list", json::array({{{"z", false}}, {{"z", true}}})},
                       {"m", 7},              // a null without nullable takes the default
                       {"keep", nullptr}}));  // a nullable null stays; "a" absent: no a.x;
                                              // "n" null without default: removed
}

std::vector<std::string> fields(const std::vector<Cause>& causes) {
  std::vector<std::string> out;
  for (const Cause& c : causes) out.push_back(c.field);
  return out;
}

TEST(Structural, AcceptsAWellFormedSchema) {
  const json s = object_with(
      {{"spec",
        object_with({{"size", {{"type", "string"}, {"enum", {"s", "m"}}, {"default", "s"}}},
                     {"q",
                      {{"x-kubernetes-int-or-string", true},
                       {"anyOf", {{{"type", "integer"}}, {{"type", "string"}}}}}},
                     {"free", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}},
                     {"list",
                      {{"type", "array"},
                       {"x-kubernetes-list-type", "map"},
                       {"x-kubernetes-list-map-keys", {"name"}},
                       {"items",
                        {{"type", "object"},
                         {"required", {"name"}},
                         {"properties", {{"name", {{"type", "string"}}}}}}}}}})}});
  EXPECT_EQ(fakeapi::structural_errors(s, "root"), std::vector<Cause>{});
}

TEST(Structural, FindsEachRuleBroken) {
  struct Case {
    const char* name;
    json schema;
    std::vector<std::string> fields;
  };
  const Case cases[] = {
      {"root without type", {{"properties", json::object()}}, {"root.type"}},
      {"root not an object", {{"type", "string"}}, {"root.type"}},
      {"field without type",
       object_with({{"a", {{"description", "x"}}}}),
       {"root.properties[a].type"}},
      {"item without type",
       object_with({{"a", {{"type", "array"}, {"items", {{"description", "x"}}}}}}),
       {"root.properties[a].items.type"}},
      {"array without items",
       object_with({{"a", {{"type", "array"}}}}),
       {"root.properties[a].items"}},
      {"properties and additionalProperties",
       object_with({{"a",
                     {{"type", "object"},
                      {"properties", {{"b", {{"type", "string"}}}}},
                      {"additionalProperties", {{"type", "string"}}}}}}),
       {"root.properties[a].additionalProperties"}},
      {"$ref",
       object_with({{"a", {{"type", "object"}, {"$ref", "#/definitions/x"}}}}),
       {"root.properties[a].$ref"}},
      {"type null", object_with({{"a", {{"type", "null"}}}}), {"root.properties[a].type"}},
      {"unknown type", object_with({{"a", {{"type", "map"}}}}), {"root.properties[a].type"}},
      {"uniqueItems",
       object_with(
           {{"a", {{"type", "array"}, {"uniqueItems", true}, {"items", {{"type", "string"}}}}}}),
       {"root.properties[a].uniqueItems"}},
      {"type inside anyOf",
       object_with({{"a", {{"type", "string"}, {"anyOf", {{{"type", "string"}}}}}}}),
       {"root.properties[a].anyOf[0].type"}},
      {"junctor property not specified outside",
       object_with(
           {{"a",
             {{"type", "object"}, {"allOf", {{{"properties", {{"b", {{"maxLength", 1}}}}}}}}}}}),
       {"root.properties[a].properties[b]"}},
      {"int-or-string with a type",
       object_with({{"a", {{"type", "string"}, {"x-kubernetes-int-or-string", true}}}}),
       {"root.properties[a].type"}},
      {"preserve-unknown-fields false",
       object_with({{"a", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", false}}}}),
       {"root.properties[a].x-kubernetes-preserve-unknown-fields"}},
      {"list map without keys",
       object_with({{"a",
                     {{"type", "array"},
                      {"x-kubernetes-list-type", "map"},
                      {"items", object_with({{"k", {{"type", "string"}}}})}}}}),
       {"root.properties[a].x-kubernetes-list-map-keys"}},
      {"list map key neither required nor defaulted",
       object_with({{"a",
                     {{"type", "array"},
                      {"x-kubernetes-list-type", "map"},
                      {"x-kubernetes-list-map-keys", {"k"}},
                      {"items", object_with({{"k", {{"type", "string"}}}})}}}}),
       {"root.properties[a].x-kubernetes-list-map-keys[0]"}},
      {"metadata beyond name",
       object_with({{"metadata", object_with({{"labels", {{"type", "object"}}}})}}),
       {"root.properties[metadata]"}},
      {"default of the wrong type",
       object_with({{"a", {{"type", "integer"}, {"default", "x"}}}}),
       {"root.properties[a].default"}},
      {"default out of range",
       object_with({{"a", {{"type", "integer"}, {"maximum", 3}, {"default", 4}}}}),
       {"root.properties[a].default"}},
      {"default with an unknown field",
       object_with({{"a",
                     {{"type", "object"},
                      {"default", {{"zzz", 1}}},
                      {"properties", {{"b", {{"type", "string"}}}}}}}}),
       {"root.properties[a].default"}},
      {"enum value of the wrong type",
       object_with({{"a", {{"type", "string"}, {"enum", {"x", 1}}}}}),
       {"root.properties[a].enum[1]"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(fields(fakeapi::structural_errors(c.schema, "root")), c.fields);
  }
  // The message kube-apiserver gives for the commonest mistake, word for word.
  EXPECT_EQ(fakeapi::structural_errors(object_with({{"a", json::object()}}), "root"),
            (std::vector<Cause>{{"FieldValueRequired",
                                 "Required value: must not be empty for specified object fields",
                                 "root.properties[a].type"}}));
  // A bad default is reported with the validation cause it fails with.
  const std::vector<Cause> bad_default = fakeapi::structural_errors(
      object_with({{"a", {{"type", "integer"}, {"default", "x"}}}}), "root");
  ASSERT_EQ(bad_default.size(), 1u);
  EXPECT_EQ(bad_default[0].reason, "FieldValueTypeInvalid");
  EXPECT_NE(bad_default[0].message.find("must be of type integer"), std::string::npos);
}

TEST(Structural, DefaultsAreValidatedAfterDefaultingInside) {
  // default: {} for an object whose required field has a default is valid.
  const json s = object_with({{"a",
                               {{"type", "object"},
                                {"default", json::object()},
                                {"required", {"k"}},
                                {"properties", {{"k", {{"type", "string"}, {"default", "v"}}}}}}}});
  EXPECT_EQ(fakeapi::structural_errors(s, "root"), std::vector<Cause>{});
}

TEST(Structural, UnknownKeywordsAndRules) {
  const json s = object_with({{"a", {{"type", "string"}, {"descripton", "typo"}}},
                              {"b",
                               {{"type", "object"},
                                {"x-kubernetes-validations",
                                 {{{"rule", "self.x > 0"}, {"message", "x must be positive"}},
                                  {{"rule", ""}, {"message", "m"}},
                                  {{"rule", "true"}},
                                  {{"rule", "true"},
                                   {"message", "two\nlines"},
                                   {"reason", "Bogus"},
                                   {"fieldPath", "x"}}}}}}});
  EXPECT_EQ(fakeapi::unknown_schema_fields(s, "root"),
            std::vector<std::string>{"root.properties[a].descripton"});
  EXPECT_EQ(fields(fakeapi::validation_rule_errors(s, "root")),
            (std::vector<std::string>{"root.properties[b].x-kubernetes-validations[1].rule",
                                      "root.properties[b].x-kubernetes-validations[2].message",
                                      "root.properties[b].x-kubernetes-validations[3].message",
                                      "root.properties[b].x-kubernetes-validations[3].reason",
                                      "root.properties[b].x-kubernetes-validations[3].fieldPath"}));
}

}  // namespace
