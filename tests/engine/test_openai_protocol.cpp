// Request parsing for the OpenAI endpoints: defaults, every accepted shape, and a 400 naming the
// parameter for each kind of bad input.
#include <gtest/gtest.h>

#include "server/openai_protocol.h"
#include "small_model.h"

using namespace engine;
using namespace engine::server;

namespace {

const Tokenizer& tok() {
  static const Tokenizer t(test_support::small_vocab());
  return t;
}

CompletionJob parse(Endpoint e, const std::string& body) {
  return parse_completion_request(e, body, tok(), ChatTemplate::V1, /*max_sequences=*/64);
}

std::string param_of(Endpoint e, const std::string& body) {
  try {
    parse(e, body);
  } catch (const ApiError& err) {
    EXPECT_EQ(err.status, 400) << body;
    EXPECT_EQ(err.type, "invalid_request_error");
    EXPECT_FALSE(std::string(err.what()).empty());
    return err.param;
  }
  ADD_FAILURE() << "accepted: " << body;
  return "";
}

}  // namespace

TEST(OpenAiProtocol, CompletionDefaultsFollowOpenAi) {
  const CompletionJob j = parse(Endpoint::Completions, R"({"prompt": "t300 t301"})");
  ASSERT_EQ(j.prompts.size(), 1u);
  EXPECT_EQ(j.prompts[0].front(), tok().bos());
  EXPECT_EQ(j.base.max_tokens, 16);
  EXPECT_FALSE(j.max_tokens_given);
  EXPECT_FLOAT_EQ(j.base.sampling.temperature, 1.0f);
  EXPECT_EQ(j.n, 1);
  EXPECT_EQ(j.top_logprobs, -1);
  EXPECT_FALSE(j.stream);
}

TEST(OpenAiProtocol, AcceptsEveryPromptShapeAndSamplingParameter) {
  const CompletionJob j = parse(Endpoint::Completions, R"({
      "model": "m", "prompt": [[1, 300, 301], "t302"], "max_tokens": 7, "temperature": 0.5,
      "top_p": 0.9, "top_k": 40, "min_p": 0.05, "presence_penalty": 0.5,
      "frequency_penalty": -0.5, "repetition_penalty": 1.1, "seed": 42, "stop": ["a", "b"],
      "n": 3, "logprobs": 2, "echo": true, "stream": true,
      "stream_options": {"include_usage": true}, "ignore_eos": true, "user": null,
      "tool_choice": "none", "response_format": {"type": "text"}, "logit_bias": {}})");
  EXPECT_EQ(j.prompts.size(), 2u);
  EXPECT_EQ(j.prompts[0], (std::vector<TokenId>{1, 300, 301}));
  EXPECT_EQ(j.base.max_tokens, 7);
  EXPECT_EQ(j.base.sampling.top_k, 40);
  EXPECT_EQ(*j.base.sampling.seed, 42u);
  EXPECT_EQ(j.base.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(j.n, 3);
  EXPECT_EQ(j.base.logprobs, 2);
  EXPECT_TRUE(j.echo && j.stream && j.include_usage && j.base.ignore_eos);
  EXPECT_TRUE(j.unknown_fields.empty());
}

TEST(OpenAiProtocol, ChatMessagesAndLogprobs) {
  const CompletionJob j = parse(Endpoint::ChatCompletions, R"({
      "messages": [{"role": "developer", "content": "Be brief."},
                   {"role": "user", "content": [{"type": "text", "text": "t300"}]}],
      "logprobs": true, "top_logprobs": 4, "max_completion_tokens": 9, "tools_extra": 1})");
  ASSERT_EQ(j.prompts.size(), 1u);
  EXPECT_EQ(j.top_logprobs, 4);
  EXPECT_EQ(j.base.max_tokens, 9);
  EXPECT_TRUE(j.max_tokens_given);
  EXPECT_EQ(j.unknown_fields, std::vector<std::string>{"tools_extra"});
}

TEST(OpenAiProtocol, BadInputNamesTheParameter) {
  const Endpoint C = Endpoint::Completions, CH = Endpoint::ChatCompletions;
  EXPECT_EQ(param_of(C, "{nope"), "");
  EXPECT_EQ(param_of(C, "[1, 2]"), "");
  EXPECT_EQ(param_of(C, ""), "");
  EXPECT_EQ(param_of(C, R"({"max_tokens": 5})"), "prompt");
  EXPECT_EQ(param_of(C, R"({"prompt": 5})"), "prompt");
  EXPECT_EQ(param_of(C, R"({"prompt": [1, 99999]})"), "prompt");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "max_tokens": -1})"), "max_tokens");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "max_tokens": "10"})"), "max_tokens");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "temperature": -0.1})"), "temperature");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "top_p": 0})"), "top_p");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "top_k": -2})"), "top_k");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "presence_penalty": 3})"), "presence_penalty");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "repetition_penalty": 0})"), "repetition_penalty");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "stop": [1]})"), "stop");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "n": 0})"), "n");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "logprobs": 21})"), "logprobs");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "seed": 1.5})"), "seed");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "stream": "yes"})"), "stream");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "stream_options": {"include_usage": true}})"),
            "stream_options");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "model": 3})"), "model");
  EXPECT_EQ(param_of(CH, R"({"messages": "hi"})"), "messages");
  EXPECT_EQ(param_of(CH, R"({"messages": []})"), "messages");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "robot", "content": "x"}]})"),
            "messages[0].role");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "user", "content": 5}]})"),
            "messages[0].content");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "assistant", "content": "x"}]})"), "messages");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})"),
            "top_logprobs");
  EXPECT_EQ(param_of(C, R"({"prompt": ["a", "b", "c"], "n": 32})"), "prompt");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "n": 65})"), "n");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "stop": ")" + std::string(300, 'a') + R"("})"), "stop");
  EXPECT_EQ(param_of(C, R"({"prompt": "x", "logit_bias": {"5": 10}})"), "logit_bias");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "user", "content": "x"}],
                             "response_format": {"type": "json_object"}})"),
            "response_format");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "user", "content": "x"}],
                             "tools": [{"type": "function"}]})"),
            "tools");
  EXPECT_EQ(param_of(CH, R"({"messages": [{"role": "user", "content": [{"type": 1}]}]})"),
            "messages[0].content");
  // Nesting deeper than any request needs is refused while parsing, not walked.
  EXPECT_EQ(param_of(C, R"({"prompt": [1, )" + std::string(100000, '[') + "}"), "");
  // Invalid UTF-8 inside a JSON string.
  EXPECT_EQ(param_of(C, "{\"prompt\": \"\xff\xfe\"}"), "");
}

TEST(OpenAiProtocol, TokenizeAndDetokenizeBodies) {
  EXPECT_EQ(parse_tokenize_request(R"({"prompt": "t300", "add_special_tokens": false})", tok(),
                                   ChatTemplate::V1),
            tok().encode("t300", false));
  EXPECT_EQ(parse_detokenize_request(R"({"tokens": [300, 301]})", tok().size()),
            (std::vector<TokenId>{300, 301}));
  EXPECT_THROW(parse_detokenize_request(R"({"tokens": [-1]})", tok().size()), ApiError);
  EXPECT_THROW(parse_tokenize_request(R"({"text": "x"})", tok(), ChatTemplate::V1), ApiError);
}

TEST(OpenAiProtocol, ErrorBodyShape) {
  const json e = error_body("bad", "invalid_request_error", "top_p", "");
  EXPECT_EQ(e["error"]["message"], "bad");
  EXPECT_EQ(e["error"]["type"], "invalid_request_error");
  EXPECT_EQ(e["error"]["param"], "top_p");
  EXPECT_TRUE(e["error"]["code"].is_null());
}
