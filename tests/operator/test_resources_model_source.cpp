// Model URIs, file-size estimates, quantities and timestamps: the parsing under the builders.
#include <gtest/gtest.h>

#include "resources/model_size.h"
#include "resources/model_source.h"
#include "resources/quantity.h"
#include "resources/timestamps.h"

namespace {

using namespace resources;

TEST(ResourcesModelSource, HuggingFace) {
  const ModelSource s = parse_model_uri(
      "hf://TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_EQ(s.kind, ModelSourceKind::kHuggingFace);
  EXPECT_TRUE(s.downloads());
  EXPECT_EQ(s.repository, "TheBloke/Mistral-7B-Instruct-v0.2-GGUF");
  EXPECT_EQ(s.path, "mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_EQ(s.file_name, "mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_EQ(s.engine_path, "/models/mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_EQ(scheme_name(s.kind), "hf");

  const ModelSource nested = parse_model_uri("hf://org/repo/quants/q8/model.Q8_0.gguf");
  EXPECT_EQ(nested.path, "quants/q8/model.Q8_0.gguf");
  EXPECT_EQ(nested.engine_path, "/models/model.Q8_0.gguf");
}

TEST(ResourcesModelSource, HttpsDropsQueryAndFragment) {
  const ModelSource s = parse_model_uri("https://models.example.com:8443/m/tiny.gguf?download=1#x");
  EXPECT_EQ(s.kind, ModelSourceKind::kHttps);
  EXPECT_EQ(s.host, "models.example.com:8443");
  EXPECT_EQ(s.path, "m/tiny.gguf");
  EXPECT_EQ(s.file_name, "tiny.gguf");
  EXPECT_EQ(s.engine_path, "/models/tiny.gguf");
  EXPECT_EQ(s.uri, "https://models.example.com:8443/m/tiny.gguf?download=1#x");
}

TEST(ResourcesModelSource, PvcAndFile) {
  const ModelSource pvc = parse_model_uri("pvc://model-store/mistral/7b/q4.gguf");
  EXPECT_EQ(pvc.kind, ModelSourceKind::kPvc);
  EXPECT_FALSE(pvc.downloads());
  EXPECT_EQ(pvc.claim, "model-store");
  EXPECT_EQ(pvc.path, "mistral/7b/q4.gguf");
  EXPECT_EQ(pvc.engine_path, "/models/mistral/7b/q4.gguf");

  const ModelSource file = parse_model_uri("file:///opt/models/tiny.gguf");
  EXPECT_EQ(file.kind, ModelSourceKind::kFile);
  EXPECT_EQ(file.engine_path, "/opt/models/tiny.gguf");
  EXPECT_EQ(file.file_name, "tiny.gguf");
}

TEST(ResourcesModelSource, InvalidUrisSayWhatIsExpected) {
  const struct {
    const char* uri;
    const char* expected;
  } cases[] = {
      {"s3://bucket/model.gguf", "unknown scheme"},
      {"hf://org/model.gguf", "hf://ORG/REPO/PATH"},
      {"hf://org//model.gguf", "hf://ORG/REPO/PATH"},
      {"hf://org/repo/", "has no file path"},
      {"hf://org/repo/a/../b.gguf", "'..'"},
      {"hf://org/repo/dir/", "empty segment"},
      {"https://host", "https://HOST/PATH"},
      {"https:///x.gguf", "https://HOST/PATH"},
      {"https://host/dir/", "must end with a file name"},
      {"pvc://Claim/x.gguf", "PersistentVolumeClaim name"},
      {"pvc://claim", "no path on the claim"},
      {"pvc://claim/../etc/passwd", "'..'"},
      {"file://relative/x.gguf", "three slashes"},
      {"file:///", "three slashes"},
      {"hf://org/repo/my model.gguf", "whitespace"},
  };
  for (const auto& c : cases) {
    try {
      parse_model_uri(c.uri);
      ADD_FAILURE() << c.uri << " was accepted";
    } catch (const ModelUriError& e) {
      EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
          << c.uri << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(c.uri), std::string::npos) << e.what();
    }
  }
}

TEST(ResourcesModelSize, FromParameterCountAndQuantization) {
  const ModelSizeEstimate m7 = estimate_model_size("mistral-7b-instruct-v0.2.Q4_K_M.gguf");
  EXPECT_TRUE(m7.from_name);
  EXPECT_NEAR(m7.bytes / 1e9, 4.4, 0.15);  // the real file: 4.37 GB
  EXPECT_NEAR(estimate_model_size("mistral-7b-v0.1.Q8_0.gguf").bytes / 1e9, 7.7, 0.3);  // 7.70
  EXPECT_NEAR(estimate_model_size("Mistral-7B-v0.1-F16.gguf").bytes / 1e9, 14.5, 0.5);  // 14.5
  // Mixtral 8x7B Q4_K_M is 26.4 GB.
  EXPECT_NEAR(estimate_model_size("mixtral-8x7b-instruct-v0.1.Q4_K_M.gguf").bytes / 1e9, 26.4, 3.0);
  EXPECT_NEAR(estimate_model_size("qwen2-0.5b-instruct-q8_0.gguf").bytes / 1e9, 0.56, 0.1);
  EXPECT_NEAR(estimate_model_size("Mistral-Small-24B-Instruct-2501-IQ4_XS.gguf").bytes / 1e9, 13.4,
              1.0);  // the real file: 12.8 GB
  // A known size without a known quantization counts as 16 bits per weight.
  EXPECT_NEAR(estimate_model_size("mistral-7b.gguf").bytes,
              estimate_model_size("mistral-7b.f16.gguf").bytes, 1.0);
}

TEST(ResourcesModelSize, UnknownNamesGetTheConservativeDefault) {
  for (const char* name : {"model.gguf", "tiny.gguf", "mistral-instruct-v0.2.Q4_K_M.gguf"}) {
    const ModelSizeEstimate e = estimate_model_size(name);
    EXPECT_FALSE(e.from_name) << name;
    EXPECT_EQ(e.bytes, kUnknownModelBytes) << name;
  }
}

TEST(ResourcesQuantity, KubernetesSuffixes) {
  EXPECT_EQ(parse_quantity("8"), 8.0);
  EXPECT_EQ(parse_quantity("500m"), 0.5);
  EXPECT_EQ(parse_quantity("2Gi"), 2147483648.0);
  EXPECT_EQ(parse_quantity("1.5G"), 1.5e9);
  EXPECT_EQ(parse_quantity("1e3"), 1000.0);
  EXPECT_EQ(parse_quantity("+.5Ki"), 512.0);
  EXPECT_EQ(parse_quantity("-1M"), -1e6);
  for (const char* bad : {"", "Gi", "2GiB", "1.2.3", "abc", "2 Gi", "1e", "."}) {
    EXPECT_FALSE(parse_quantity(bad)) << bad;
  }
  EXPECT_EQ(quantity_value(nlohmann::json(4)), 4.0);
  EXPECT_FALSE(quantity_value(nlohmann::json::array()));
  EXPECT_EQ(quantity_bytes(nlohmann::json("2Gi")), int64_t{2147483648});
  EXPECT_EQ(quantity_bytes(nlohmann::json("1500m")), 2);  // rounded up
}

TEST(ResourcesTimestamps, FormatAndParse) {
  const auto t = parse_rfc3339("2024-05-01T12:34:56Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_rfc3339(*t), "2024-05-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-05-01T12:34:56.789Z")), "2024-05-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-05-01T14:34:56+02:00")), "2024-05-01T12:34:56Z");
  EXPECT_EQ(format_rfc3339(*parse_rfc3339("2024-02-29T23:59:59-01:00")), "2024-03-01T00:59:59Z");
  EXPECT_EQ(*parse_rfc3339("2024-05-01T12:35:06Z") - *t, std::chrono::seconds(10));
  for (const char* bad : {"", "2024-05-01", "2024-05-01T12:34:56", "2023-02-29T00:00:00Z",
                          "2024-05-01T12:34:56Zjunk", "2024-13-01T00:00:00Z"}) {
    EXPECT_FALSE(parse_rfc3339(bad)) << bad;
  }
}

}  // namespace
