// The Prometheus text format reader: what prom::Registry writes reads back as written; escapes,
// special values, timestamps and the format's leniencies; every malformed line is a ParseError
// naming its line; arbitrary bytes never get anything but a ParseError.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "prometheus/metrics.h"
#include "prometheus/text_parser.h"

namespace {

using prom::Labels;
using prom::parse_text;
using prom::ParseError;
using prom::Sample;

constexpr double kInf = std::numeric_limits<double>::infinity();

// NaN never equals itself; the parser must still produce one.
void expect_value(double actual, double expected) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << actual;
  } else {
    EXPECT_EQ(actual, expected);
  }
}

TEST(PromTextParser, ReadsBackWhatTheRegistryRenders) {
  const Labels constant = {{"model_name", "m\"x\\y\nz"}};
  prom::Registry registry(constant);
  auto& requests = registry.counter("vllm:request_success_total", "Finished.\nTwo lines \\ here.");
  requests.with({{"finished_reason", "stop"}}).inc(2);
  requests.with({{"finished_reason", "length"}}).inc(0.5);
  auto& gauges = registry.gauge("vllm:num_requests_waiting", "Waiting.");
  const std::vector<double> gauge_values = {0.1, -3, 1e300, 5e-324, kInf, -kInf, std::nan("")};
  for (size_t i = 0; i < gauge_values.size(); ++i) {
    gauges.with({{"i", std::to_string(i)}}).set(gauge_values[i]);
  }
  const std::vector<double> bounds = {0.5, 1, 2.5};
  auto& histogram = registry.histogram("latency_seconds", "Latency.", bounds).with();
  const std::vector<double> observations = {0.1, 0.7, 3, 2};
  for (double v : observations) histogram.observe(v);

  const std::vector<Sample> samples = parse_text(registry.render());

  std::vector<Sample> expected;
  const auto with_constant = [&](Labels extra) {
    Labels all = constant;
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
  };
  expected.push_back(
      {"vllm:request_success_total", with_constant({{"finished_reason", "stop"}}), 2, {}});
  expected.push_back(
      {"vllm:request_success_total", with_constant({{"finished_reason", "length"}}), 0.5, {}});
  for (size_t i = 0; i < gauge_values.size(); ++i) {
    expected.push_back({"vllm:num_requests_waiting",
                        with_constant({{"i", std::to_string(i)}}),
                        gauge_values[i],
                        {}});
  }
  double sum = 0;
  for (double v : observations) sum += v;
  for (size_t b = 0; b <= bounds.size(); ++b) {
    double cumulative = 0;
    for (double v : observations) cumulative += (b == bounds.size() || v <= bounds[b]) ? 1 : 0;
    expected.push_back(
        {"latency_seconds_bucket",
         with_constant({{"le", b == bounds.size() ? "+Inf" : prom::format_value(bounds[b])}}),
         cumulative,
         {}});
  }
  expected.push_back({"latency_seconds_sum", constant, sum, {}});
  expected.push_back(
      {"latency_seconds_count", constant, static_cast<double>(observations.size()), {}});

  ASSERT_EQ(samples.size(), expected.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    SCOPED_TRACE("sample " + std::to_string(i));
    EXPECT_EQ(samples[i].name, expected[i].name);
    EXPECT_EQ(samples[i].labels, expected[i].labels);
    expect_value(samples[i].value, expected[i].value);
    EXPECT_FALSE(samples[i].timestamp_ms.has_value());
  }
}

TEST(PromTextParser, UnescapesLabelValues) {
  const auto samples = parse_text(
      "m{back=\"a\\\\b\",quote=\"say \\\"hi\\\"\",newline=\"1\\n2\",utf8=\"caf\xc3\xa9 "
      "\xe2\x82\xac\","
      "braces=\"{},= #\"} 7\n");
  ASSERT_EQ(samples.size(), 1u);
  const Labels expected = {{"back", "a\\b"},
                           {"quote", "say \"hi\""},
                           {"newline", "1\n2"},
                           {"utf8", "caf\xc3\xa9 \xe2\x82\xac"},
                           {"braces", "{},= #"}};
  EXPECT_EQ(samples[0].labels, expected);
  EXPECT_EQ(samples[0].value, 7);
}

TEST(PromTextParser, SpecialValuesAndTimestamps) {
  const auto samples = parse_text(
      "a +Inf\n"
      "b -Inf\n"
      "c NaN\n"
      "d Infinity\n"
      "e 1.5e3 1700000000000\n"
      "f -0.25 -5\n"
      "g +7\n");
  ASSERT_EQ(samples.size(), 7u);
  expect_value(samples[0].value, kInf);
  expect_value(samples[1].value, -kInf);
  expect_value(samples[2].value, std::nan(""));
  expect_value(samples[3].value, kInf);
  expect_value(samples[4].value, 1500);
  EXPECT_EQ(samples[4].timestamp_ms, 1700000000000);
  expect_value(samples[5].value, -0.25);
  EXPECT_EQ(samples[5].timestamp_ms, -5);
  expect_value(samples[6].value, 7);
  EXPECT_FALSE(samples[0].timestamp_ms.has_value());
}

TEST(PromTextParser, ToleratesWhatPrometheusAccepts) {
  const std::string text =
      "# HELP vllm:num_requests_waiting Waiting \\\\ requests\\n.\r\n"
      "# TYPE vllm:num_requests_waiting gauge\r\n"
      "\r\n"
      "   \t\n"
      "# any other comment {{{ \"\n"
      "#\n"
      "  vllm:num_requests_waiting { model_name = \"m\" , } \t 3  \r\n"
      "vllm:num_requests_running{} 2\n"
      "up\t1\n"
      "no:final_newline 4";
  const auto samples = parse_text(text);
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples[0].name, "vllm:num_requests_waiting");
  EXPECT_EQ(samples[0].labels, (Labels{{"model_name", "m"}}));
  EXPECT_EQ(samples[0].value, 3);
  EXPECT_EQ(samples[1].name, "vllm:num_requests_running");
  EXPECT_TRUE(samples[1].labels.empty());
  EXPECT_EQ(samples[2].name, "up");
  EXPECT_EQ(samples[3].name, "no:final_newline");
  EXPECT_EQ(samples[3].value, 4);
  EXPECT_TRUE(parse_text("").empty());
  EXPECT_TRUE(parse_text("\n\n# only comments\n").empty());
}

struct Malformed {
  std::string text;
  size_t line;
  std::string message;  // part of what the error says
};

TEST(PromTextParser, MalformedLinesNameTheLineAndTheProblem) {
  const std::vector<Malformed> cases = {
      {"a 1\nb{x=\"1\" 2\n", 2, "expected ',' or '}'"},
      {"ok 1\n\n# TYPE x gaugeish\n", 3, "unknown metric type 'gaugeish'"},
      {"# TYPE x\n", 1, "needs a type"},
      {"# TYPE x gauge extra\n", 1, "unexpected text after the type"},
      {"# HELP\n", 1, "needs a metric name"},
      {"# TYPE 9x gauge\n", 1, "invalid metric name '9x'"},
      {"# HELP a-b text\n", 1, "invalid metric name 'a-b'"},
      {"x{a=\"\\t\"} 1\n", 1, "invalid escape '\\t'"},
      {"x{a=\"1\",b=\"2\",a=\"3\"} 1\n", 1, "label 'a' appears twice"},
      {"x\n", 1, "missing value"},
      {"x{a=\"b\"}\n", 1, "missing value"},
      {"x abc\n", 1, "invalid value 'abc'"},
      {"x 1e999\n", 1, "invalid value"},
      {"x nan(1)\n", 1, "invalid value"},
      {"x ++1\n", 1, "invalid value"},
      {"x 1 12.5\n", 1, "invalid timestamp '12.5'"},
      {"x 1 99999999999999999999\n", 1, "invalid timestamp"},
      {"x 1 2 3\n", 1, "unexpected text after the timestamp"},
      {"1x 1\n", 1, "expected a metric name, got '1'"},
      {"{a=\"b\"} 1\n", 1, "expected a metric name"},
      {"x{1a=\"b\"} 1\n", 1, "expected a label name or '}'"},
      {"x{a:b=\"c\"} 1\n", 1, "expected '=' after the label name 'a'"},
      {"x{a=\"b} 1\n", 1, "unterminated value of label 'a'"},
      {"x{a=\"b\\", 1, "unterminated value of label 'a'"},
      {"x{a} 1\n", 1, "expected '=' after the label name 'a'"},
      {"x{a=b} 1\n", 1, "expected '\"' after the label name 'a'"},
      {"x{a=\"b\"\n", 1, "unterminated label set"},
      {"x{a=\"b\",\n", 1, "unterminated label set"},
      {"x-y 1\n", 1, "unexpected '-' after the metric name 'x'"},
      {"x{a=\"\xff\"} 1\n", 1, "not UTF-8"},
      {"x{a=\"\xed\xa0\x80\"} 1\n", 1, "not UTF-8"},  // a surrogate
      {"x{a=\"\xc0\xaf\"} 1\n", 1, "not UTF-8"},      // overlong
      {"x\x01 1\n", 1, "unexpected byte 0x01"},
      {"a 1\r\nb 2\r\nc\r\n", 3, "missing value"},
      {"a 1\n\n\n\n" + std::string(100, 'y') + "{", 5, "unterminated label set"},
  };
  for (const Malformed& c : cases) {
    SCOPED_TRACE(c.text);
    try {
      parse_text(c.text);
      ADD_FAILURE() << "parsed";
    } catch (const ParseError& e) {
      EXPECT_EQ(e.line(), c.line);
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("line " + std::to_string(c.line) + ": ", 0), 0u) << message;
      EXPECT_NE(message.find(c.message), std::string::npos) << message;
      EXPECT_LT(message.size(), 300u) << "messages quote a bounded excerpt";
    }
  }
}

TEST(PromTextParser, ParseErrorIsARuntimeError) {
  EXPECT_THROW(parse_text("bad line here\n"), std::runtime_error);
}

// Random lines built from the format's own punctuation reach every branch; whatever they are, the
// answer is samples or a ParseError.
TEST(PromTextParser, ArbitraryInputOnlyEverThrowsParseError) {
  const std::string alphabet = "ab:_09 \t{}=\",\\n#\r\n+-.eEInfNa\x80\xc3\xa9\xff";
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<size_t> length(0, 60);
  size_t parsed = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (size_t n = length(rng); n > 0; --n) text += alphabet[pick(rng)];
    try {
      parse_text(text);
      ++parsed;
    } catch (const ParseError&) {
      ++rejected;
    }
  }
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(rejected, 0u);
}

TEST(PromTextParser, LargeInputsAreLinear) {
  std::string many_labels = "x{";
  for (int i = 0; i < 20000; ++i) many_labels += "l" + std::to_string(i) + "=\"v\",";
  many_labels += "} 1\n";
  const auto samples = parse_text(many_labels);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].labels.size(), 20000u);
  EXPECT_EQ(samples[0].labels.back().first, "l19999");

  EXPECT_THROW(parse_text(std::string(1 << 20, '{')), ParseError);
  std::string lines;
  for (int i = 0; i < 100000; ++i) lines += "m{i=\"" + std::to_string(i) + "\"} 1\n";
  EXPECT_EQ(parse_text(lines).size(), 100000u);
}

}  // namespace
