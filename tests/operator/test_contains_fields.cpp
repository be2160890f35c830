// The controller's drift check: the desired fields are in the live object, whatever else the
// server or other managers added.
#include <gtest/gtest.h>

#include "controller/inference_service_controller.h"

namespace {

using controller::contains_fields;
using nlohmann::json;

TEST(ContainsFields, ExtraFieldsFromDefaultingOrOtherManagersAreFine) {
  const json desired = {{"spec", {{"replicas", 2}, {"template", {{"image", "engine:1"}}}}}};
  const json actual = {
      {"metadata", {{"resourceVersion", "7"}}},
      {"spec",
       {{"replicas", 2},
        {"progressDeadlineSeconds", 600},
        {"template", {{"image", "engine:1"}, {"imagePullPolicy", "IfNotPresent"}}}}}};
  EXPECT_TRUE(contains_fields(actual, desired));
}

TEST(ContainsFields, AChangedOrMissingDesiredFieldIsDrift) {
  const json desired = {{"spec", {{"replicas", 2}, {"image", "engine:1"}}}};
  EXPECT_FALSE(contains_fields(json{{"spec", {{"replicas", 3}, {"image", "engine:1"}}}}, desired));
  EXPECT_FALSE(contains_fields(json{{"spec", {{"replicas", 2}}}}, desired));
  EXPECT_FALSE(contains_fields(json{{"spec", "oops"}}, desired));
}

TEST(ContainsFields, ListsCompareItemByItemAndByLength) {
  const json desired = {{"args", {"serve", "--port", "8000"}},
                        {"ports", {{{"name", "http"}, {"containerPort", 8000}}}}};
  json actual = {{"args", {"serve", "--port", "8000"}},
                 {"ports", {{{"name", "http"}, {"containerPort", 8000}, {"protocol", "TCP"}}}}};
  EXPECT_TRUE(contains_fields(actual, desired));
  actual["args"].push_back("--extra");
  EXPECT_FALSE(contains_fields(actual, desired));
  actual["args"] = {"serve", "--port", "9000"};
  EXPECT_FALSE(contains_fields(actual, desired));
}

TEST(ContainsFields, NumbersAndQuantitiesCompareByValue) {
  EXPECT_TRUE(contains_fields(json{{"n", 2.0}}, json{{"n", 2}}));
  EXPECT_TRUE(contains_fields(json{{"cpu", "500m"}}, json{{"cpu", "0.5"}}));
  EXPECT_TRUE(contains_fields(json{{"memory", "1Gi"}}, json{{"memory", "1073741824"}}));
  EXPECT_FALSE(contains_fields(json{{"memory", "1G"}}, json{{"memory", "1Gi"}}));
  EXPECT_FALSE(contains_fields(json{{"image", "a"}}, json{{"image", "b"}}));
}

TEST(ContainsFields, ADesiredNullMeansAbsent) {
  EXPECT_TRUE(contains_fields(json{{"a", 1}}, json{{"b", nullptr}}));
}

}  // namespace
