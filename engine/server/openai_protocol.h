// The OpenAI wire format: request bodies of /v1/completions and /v1/chat/completions checked and
// turned into sequences, and the JSON of responses, stream chunks and errors.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "serving/sequence.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace engine::server {

using nlohmann::json;

// An error answered with OpenAI's body: {"error": {"message", "type", "param", "code"}}.
struct ApiError : std::runtime_error {
  ApiError(int status_, std::string type_, std::string message, std::string param_ = "",
           std::string code_ = "")
      : std::runtime_error(std::move(message)),
        status(status_),
        type(std::move(type_)),
        param(std::move(param_)),
        code(std::move(code_)) {}
  int status;
  std::string type;   // invalid_request_error, not_found_error, rate_limit_error, ...
  std::string param;  // the offending parameter, if one
  std::string code;
};

ApiError bad_param(const std::string& param, const std::string& message);
json error_body(const std::string& message, const std::string& type, const std::string& param,
                const std::string& code);

enum class Endpoint { Completions, ChatCompletions };

struct CompletionJob {
  Endpoint endpoint = Endpoint::Completions;
  std::string model;
  bool stream = false;
  bool include_usage = false;
  bool echo = false;          // completions: the prompt text precedes the completion
  int32_t n = 1;              // choices per prompt
  int32_t top_logprobs = -1;  // -1: no logprobs
  // One entry per prompt (completions accepts a list); each yields n choices.
  std::vector<std::vector<TokenId>> prompts;
  std::vector<std::string> prompt_texts;  // for echo
  SequenceSpec base;                      // sampling, stop, max_tokens; prompt left empty
  bool max_tokens_given = false;
  std::vector<std::string> unknown_fields;  // ignored, with a warning in the log
};

// Parses and checks a request body. Throws ApiError (400) naming the parameter at fault,
// including when it asks for more than `max_sequences` sequences (prompts times n).
CompletionJob parse_completion_request(Endpoint endpoint, const std::string& body,
                                       const Tokenizer& tokenizer, ChatTemplate chat_template,
                                       int32_t max_sequences);

// vLLM's /tokenize and /detokenize bodies.
std::vector<TokenId> parse_tokenize_request(const std::string& body, const Tokenizer& tokenizer,
                                            ChatTemplate chat_template);
std::vector<TokenId> parse_detokenize_request(const std::string& body, int32_t n_vocab);

struct ChoiceResult {
  std::string text;
  std::vector<TokenLogprob> logprobs;
  std::string finish_reason;
};

json completion_response(const CompletionJob& job, const std::string& id, int64_t created,
                         const std::vector<ChoiceResult>& choices, const json& usage,
                         const Tokenizer& tokenizer);
// What one streamed chunk says about choice `index`.
struct ChunkDelta {
  const std::string* role = nullptr;  // chat: the first chunk names the role
  std::string text;
  std::vector<TokenLogprob> logprobs;
  size_t text_offset = 0;  // characters of the choice's text before `text`
  const std::string* finish_reason = nullptr;
};
json stream_chunk(const CompletionJob& job, const std::string& id, int64_t created, int32_t index,
                  const ChunkDelta& delta, const Tokenizer& tokenizer);
// Characters (code points) in UTF-8 text, as OpenAI counts text_offset.
size_t utf8_length(std::string_view text);
json usage_json(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens);

}  // namespace engine::server
