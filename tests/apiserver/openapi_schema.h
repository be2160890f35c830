// A CustomResourceDefinition's OpenAPI v3 schema (spec.versions[].schema.openAPIV3Schema, as
// JSON) applied the way kube-apiserver applies it to custom resources. A write goes through
//   prune(schema, obj)            unknown fields dropped
//   apply_defaults(schema, obj)   non-nullable nulls dropped, then defaults filled in
//   validate(schema, obj)         OpenAPI validation: the 422 causes
// in that order, followed by the scale subresource checks (scale_subresource.h).
//
// CEL (x-kubernetes-validations) is NOT evaluated: the fake API server accepts what the rules
// would reject. validation_rule_errors() only checks that each rule is well formed and says
// what it enforces; tests of CEL behaviour need a real cluster.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "field_error.h"

namespace fakeapi {

// OpenAPI validation of `value` (a whole object; `schema` its root) as kube-openapi and
// apiextensions' ValidateCustomResource do it, with the same cause reasons, field paths and
// messages. The real server walks properties in Go map order; this walks them sorted by name and
// lists an object's missing required fields after its properties' errors (which is the order of
// the recorded samples).
std::vector<Cause> validate(const nlohmann::json& schema, const nlohmann::json& value);

// Structural defaulting: where a field is absent (or null and not nullable) and its parent
// object exists, its `default` is copied in; defaults that are objects are then defaulted in
// turn. Nulls of non-nullable fields without a default are removed first.
void apply_defaults(const nlohmann::json& schema, nlohmann::json& value);

// Removes the fields the schema does not specify, except below
// x-kubernetes-preserve-unknown-fields and, at the resource root and in
// x-kubernetes-embedded-resource objects, apiVersion, kind and metadata. Returns the removed
// paths ("spec.foo", "spec.items[0].bar"), which the real server reports as
// `unknown field "spec.foo"` under fieldValidation=Strict or Warn.
std::vector<std::string> prune(const nlohmann::json& schema, nlohmann::json& value,
                               bool resource_root = true);

// The structural-schema rules a v1 CRD must satisfy, as causes whose field paths start at
// `root` (the real server's is "spec.versions[0].schema.openAPIV3Schema"). Checked:
//  1. every node states a type (object, array, string, integer, number or boolean) except where
//     x-kubernetes-int-or-string or x-kubernetes-preserve-unknown-fields stands in; the root is
//     an object; arrays have a single `items` schema;
//  2. properties and additionalProperties are not used together;
//  3. unsupported keywords are absent: $ref, definitions, dependencies, patternProperties,
//     additionalItems, id, $schema, uniqueItems: true, type: null;
//  4. inside allOf/anyOf/oneOf/not there is no type, default, description, nullable,
//     additionalProperties or x-kubernetes-* (except the integer/string anyOf or allOf of an
//     int-or-string node), and every property or items inside is also specified outside;
//  5. x-kubernetes-int-or-string nodes have no type; x-kubernetes-preserve-unknown-fields is
//     true when set; x-kubernetes-embedded-resource nodes are objects with properties or
//     preserve-unknown-fields; x-kubernetes-list-type is atomic, set or map, a map list has
//     object items and x-kubernetes-list-map-keys naming item properties that are required or
//     defaulted; x-kubernetes-map-type is atomic or granular on objects;
//  6. metadata at the root restricts at most name and generateName;
//  7. each default validates against its own schema (after defaulting inside it), survives
//     pruning unchanged, and does not sit inside metadata; each enum value has the node's type.
std::vector<Cause> structural_errors(const nlohmann::json& schema,
                                     const std::string& root = "openAPIV3Schema");

// Schema keywords the apiextensions v1 JSONSchemaProps type does not have (typos such as
// "descripton"); the real server rejects them as `unknown field` (400, strict decoding).
std::vector<std::string> unknown_schema_fields(const nlohmann::json& schema,
                                               const std::string& root = "openAPIV3Schema");

// x-kubernetes-validations entries: `rule` a non-empty string (required by the real server),
// `message` a non-empty single line (this project's rule: every CEL rule explains itself),
// `reason` one of FieldValueInvalid/Forbidden/Required/Duplicate when set, `fieldPath` starting
// with "." when set. The rules themselves are not compiled or evaluated.
std::vector<Cause> validation_rule_errors(const nlohmann::json& schema,
                                          const std::string& root = "openAPIV3Schema");

}  // namespace fakeapi
