#include "server/openai_protocol.h"

#include <cmath>
#include <set>

namespace engine::server {
namespace {

constexpr int32_t kMaxLogprobs = 20;
constexpr int32_t kMaxChoices = 128;
constexpr size_t kMaxStops = 16;
constexpr size_t kMaxStopBytes = 256;
constexpr int kMaxJsonDepth = 64;

json parse_body(const std::string& body) {
  if (body.empty()) throw ApiError(400, "invalid_request_error", "the request body is empty");
  json j;
  try {
    // Deep nesting is refused while parsing: no request needs it, and printing or walking it
    // would recurse as deep.
    j = json::parse(body, [](int depth, json::parse_event_t, json&) {
      if (depth > kMaxJsonDepth) {
        throw ApiError(400, "invalid_request_error",
                       "the request body nests deeper than " + std::to_string(kMaxJsonDepth));
      }
      return true;
    });
  } catch (const json::parse_error& e) {
    throw ApiError(400, "invalid_request_error",
                   std::string("the request body is not valid JSON: ") + e.what());
  }
  if (!j.is_object()) {
    throw ApiError(400, "invalid_request_error", "the request body must be a JSON object");
  }
  return j;
}

// A field that is absent or null counts as not given, as OpenAI's API treats it.
const json* field(const json& body, const char* name) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& body, const char* name, double fallback, double lo, double hi) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_number()) throw bad_param(name, std::string(name) + " must be a number");
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi) {
    throw bad_param(name, std::string(name) + " must be between " + json(lo).dump() + " and " +
                              json(hi).dump() + ", got " + v->dump());
  }
  return d;
}

int64_t integer(const json& body, const char* name, int64_t fallback, int64_t lo, int64_t hi) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_number_integer()) throw bad_param(name, std::string(name) + " must be an integer");
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    throw bad_param(name, std::string(name) + " is out of range");
  }
  const int64_t i = v->get<int64_t>();
  if (i < lo || i > hi) {
    throw bad_param(name, std::string(name) + " must be between " + std::to_string(lo) + " and " +
                              std::to_string(hi) + ", got " + std::to_string(i));
  }
  return i;
}

bool boolean(const json& body, const char* name, bool fallback) {
  const json* v = field(body, name);
  if (!v) return fallback;
  if (!v->is_boolean()) throw bad_param(name, std::string(name) + " must be true or false");
  return v->get<bool>();
}

std::vector<std::string> stop_strings(const json& body) {
  const json* v = field(body, "stop");
  if (!v) return {};
  std::vector<std::string> out;
  if (v->is_string()) {
    out.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > kMaxStops) {
      throw bad_param("stop", "stop takes at most " + std::to_string(kMaxStops) + " strings");
    }
    for (const json& s : *v) {
      if (!s.is_string()) throw bad_param("stop", "stop must be a string or an array of strings");
      out.push_back(s.get<std::string>());
    }
  } else {
    throw bad_param("stop", "stop must be a string or an array of strings");
  }
  for (const std::string& s : out) {
    if (s.size() > kMaxStopBytes) {
      throw bad_param("stop",
                      "a stop string may hold at most " + std::to_string(kMaxStopBytes) + " bytes");
    }
  }
  return out;
}

std::vector<TokenId> token_ids(const json& arr, const char* param, int32_t n_vocab) {
  std::vector<TokenId> ids;
  for (const json& t : arr) {
    if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= n_vocab) {
      throw bad_param(param, std::string(param) + "[" + std::to_string(ids.size()) +
                                 "] is not a token id of this model (0.." +
                                 std::to_string(n_vocab - 1) + ")");
    }
    ids.push_back(t.get<TokenId>());
  }
  return ids;
}

std::string message_content(const json& m, size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  const json* c = field(m, "content");
  if (!c) return "";
  if (c->is_string()) return c->get<std::string>();
  if (!c->is_array()) throw bad_param(param, param + " must be a string or an array of text parts");
  std::string content;
  for (const json& part : *c) {
    const json* type = part.is_object() ? field(part, "type") : nullptr;
    const json* text = part.is_object() ? field(part, "text") : nullptr;
    if (!type || *type != "text" || !text || !text->is_string()) {
      throw bad_param(param, param + " parts must be {\"type\": \"text\", \"text\": ...}; " +
                                 "this model reads text only");
    }
    content += text->get<std::string>();
  }
  return content;
}

std::vector<ChatMessage> chat_messages(const json& body) {
  const json* v = field(body, "messages");
  if (!v) throw bad_param("messages", "messages is required");
  if (!v->is_array() || v->empty()) {
    throw bad_param("messages", "messages must be a non-empty array");
  }
  std::vector<ChatMessage> out;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& m = (*v)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!m.is_object()) throw bad_param(param, param + " must be an object");
    const json* role = field(m, "role");
    if (!role || !role->is_string()) throw bad_param(param + ".role", param + ".role is required");
    std::string r = role->get<std::string>();
    if (r == "developer") r = "system";
    if (r != "system" && r != "user" && r != "assistant") {
      throw bad_param(param + ".role", param + ".role must be system, user or assistant, got '" +
                                           role->get<std::string>() + "'");
    }
    out.push_back({r, message_content(m, i)});
  }
  return out;
}

// Fields every request may carry; the unsupported ones are refused by value, not by name.
const std::set<std::string> kCommonFields = {"model",
                                             "max_tokens",
                                             "temperature",
                                             "top_p",
                                             "top_k",
                                             "min_p",
                                             "n",
                                             "stream",
                                             "stream_options",
                                             "stop",
                                             "seed",
                                             "presence_penalty",
                                             "frequency_penalty",
                                             "repetition_penalty",
                                             "logprobs",
                                             "ignore_eos",
                                             "user",
                                             "tools",
                                             "tool_choice",
                                             "response_format",
                                             "logit_bias",
                                             "suffix",
                                             "best_of"};
const std::set<std::string> kCompletionFields = {"prompt", "echo"};
const std::set<std::string> kChatFields = {"messages", "top_logprobs", "max_completion_tokens"};

// Parameters whose meaning this server does not implement: ignoring them would silently return
// something else than asked (free text for JSON mode, no tool calls), so they are refused.
void reject_unsupported(const json& body) {
  const auto refuse = [](const char* name, const std::string& why) {
    throw bad_param(name, std::string(name) + " is not supported: " + why);
  };
  if (const json* v = field(body, "tools"); v && !v->empty()) refuse("tools", "no tool calling");
  if (const json* v = field(body, "tool_choice"); v && *v != "none") {
    refuse("tool_choice", "no tool calling");
  }
  if (const json* v = field(body, "response_format");
      v && !(v->is_object() && v->value("type", json()) == "text")) {
    refuse("response_format", "only free text is generated");
  }
  if (const json* v = field(body, "logit_bias"); v && !v->empty()) {
    refuse("logit_bias", "not implemented");
  }
  if (const json* v = field(body, "suffix"); v && *v != "") refuse("suffix", "no infilling");
  if (const json* v = field(body, "best_of"); v && *v != 1) refuse("best_of", "use n");
}

json token_bytes_json(const std::string& bytes) {
  json arr = json::array();
  for (unsigned char c : bytes) arr.push_back(static_cast<int>(c));
  return arr;
}

json completion_logprobs(const std::vector<TokenLogprob>& lps, const Tokenizer& tok,
                         size_t text_offset) {
  json tokens = json::array(), token_logprobs = json::array(), top = json::array(),
       offsets = json::array();
  for (const TokenLogprob& lp : lps) {
    const std::string t = tok.token_bytes(lp.token);
    tokens.push_back(t);
    token_logprobs.push_back(lp.logprob);
    json alternatives = json::object();
    for (const auto& [id, logprob] : lp.top) alternatives[tok.token_bytes(id)] = logprob;
    top.push_back(alternatives);
    offsets.push_back(text_offset);
    text_offset += utf8_length(t);
  }
  return {{"tokens", tokens},
          {"token_logprobs", token_logprobs},
          {"top_logprobs", top},
          {"text_offset", offsets}};
}

json chat_logprobs(const std::vector<TokenLogprob>& lps, const Tokenizer& tok) {
  json content = json::array();
  for (const TokenLogprob& lp : lps) {
    const std::string t = tok.token_bytes(lp.token);
    json top = json::array();
    for (const auto& [id, logprob] : lp.top) {
      const std::string alt = tok.token_bytes(id);
      top.push_back({{"token", alt}, {"logprob", logprob}, {"bytes", token_bytes_json(alt)}});
    }
    content.push_back({{"token", t},
                       {"logprob", lp.logprob},
                       {"bytes", token_bytes_json(t)},
                       {"top_logprobs", top}});
  }
  return {{"content", content}};
}

}  // namespace

ApiError bad_param(const std::string& param, const std::string& message) {
  return ApiError(400, "invalid_request_error", message, param);
}

json error_body(const std::string& message, const std::string& type, const std::string& param,
                const std::string& code) {
  return {{"error",
           {{"message", message},
            {"type", type},
            {"param", param.empty() ? json(nullptr) : json(param)},
            {"code", code.empty() ? json(nullptr) : json(code)}}}};
}

CompletionJob parse_completion_request(Endpoint endpoint, const std::string& body_text,
                                       const Tokenizer& tokenizer, ChatTemplate chat_template,
                                       int32_t max_sequences) {
  const json body = parse_body(body_text);
  CompletionJob job;
  job.endpoint = endpoint;
  const bool chat = endpoint == Endpoint::ChatCompletions;
  reject_unsupported(body);

  // The sequences a request asks for are counted before any prompt is tokenized.
  job.n = static_cast<int32_t>(integer(body, "n", 1, 1, kMaxChoices));
  const json* p = chat ? nullptr : field(body, "prompt");
  const bool prompt_list = p && p->is_array() && !p->empty() && !(*p)[0].is_number();
  const int64_t n_prompts = prompt_list ? static_cast<int64_t>(p->size()) : 1;
  if (n_prompts * job.n > max_sequences) {
    throw bad_param(prompt_list ? "prompt" : "n",
                    std::to_string(n_prompts * job.n) + " sequences (prompts times n) exceed the " +
                        std::to_string(max_sequences) + " this server can hold at once");
  }

  for (const auto& [key, _] : body.items()) {
    if (!kCommonFields.count(key) && !(chat ? kChatFields : kCompletionFields).count(key)) {
      job.unknown_fields.push_back(key);
    }
  }
  if (const json* m = field(body, "model")) {
    if (!m->is_string()) throw bad_param("model", "model must be a string");
    job.model = m->get<std::string>();
  }

  const int32_t n_vocab = tokenizer.size();
  if (chat) {
    try {
      job.prompts.push_back(apply_chat_template(tokenizer, chat_template, chat_messages(body)));
    } catch (const std::invalid_argument& e) {
      throw bad_param("messages", e.what());
    }
  } else {
    if (!p) throw bad_param("prompt", "prompt is required");
    const auto add_text = [&](const std::string& text) {
      job.prompts.push_back(tokenizer.encode(text, true));
      job.prompt_texts.push_back(text);
    };
    if (p->is_string()) {
      add_text(p->get<std::string>());
    } else if (p->is_array() && !p->empty() && (*p)[0].is_number()) {
      job.prompts.push_back(token_ids(*p, "prompt", n_vocab));
      job.prompt_texts.push_back(tokenizer.decode(job.prompts.back()));
    } else if (prompt_list) {
      for (const json& item : *p) {
        if (item.is_string()) {
          add_text(item.get<std::string>());
        } else if (item.is_array()) {
          job.prompts.push_back(token_ids(item, "prompt", n_vocab));
          job.prompt_texts.push_back(tokenizer.decode(job.prompts.back()));
        } else {
          throw bad_param("prompt", "prompt items must be strings or arrays of token ids");
        }
      }
    } else {
      throw bad_param("prompt",
                      "prompt must be a string, a non-empty array of strings, or token ids");
    }
    for (const auto& ids : job.prompts) {
      if (ids.empty()) throw bad_param("prompt", "a prompt has no tokens");
    }
    job.echo = boolean(body, "echo", false);
  }

  SamplingParams& sp = job.base.sampling;
  sp.temperature = static_cast<float>(number(body, "temperature", 1.0, 0.0, 100.0));
  sp.top_p = static_cast<float>(number(body, "top_p", 1.0, 0.0, 1.0));
  if (sp.top_p <= 0.0f) throw bad_param("top_p", "top_p must be greater than 0");
  const int64_t top_k = integer(body, "top_k", 0, -1, n_vocab);
  sp.top_k = top_k < 0 ? 0 : static_cast<int32_t>(top_k);
  sp.min_p = static_cast<float>(number(body, "min_p", 0.0, 0.0, 1.0));
  sp.presence_penalty = static_cast<float>(number(body, "presence_penalty", 0.0, -2.0, 2.0));
  sp.frequency_penalty = static_cast<float>(number(body, "frequency_penalty", 0.0, -2.0, 2.0));
  sp.repetition_penalty = static_cast<float>(number(body, "repetition_penalty", 1.0, 0.0, 100.0));
  if (sp.repetition_penalty <= 0.0f) {
    throw bad_param("repetition_penalty", "repetition_penalty must be greater than 0");
  }
  if (field(body, "seed"))
    sp.seed = static_cast<uint64_t>(integer(body, "seed", 0, INT64_MIN, INT64_MAX));

  const char* max_name =
      chat && field(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
  job.max_tokens_given = field(body, max_name) != nullptr;
  // OpenAI's completions default to 16 tokens; chat runs to the end of the context.
  job.base.max_tokens = static_cast<int32_t>(integer(body, max_name, chat ? 0 : 16, 1, 1 << 30));
  job.base.stop = stop_strings(body);
  job.base.ignore_eos = boolean(body, "ignore_eos", false);

  if (chat) {
    if (boolean(body, "logprobs", false)) {
      job.top_logprobs = static_cast<int32_t>(integer(body, "top_logprobs", 0, 0, kMaxLogprobs));
    } else if (field(body, "top_logprobs")) {
      throw bad_param("top_logprobs", "top_logprobs needs logprobs set to true");
    }
  } else {
    job.top_logprobs = static_cast<int32_t>(integer(body, "logprobs", -1, 0, kMaxLogprobs));
  }
  job.base.logprobs = job.top_logprobs;

  job.stream = boolean(body, "stream", false);
  if (const json* so = field(body, "stream_options")) {
    if (!so->is_object()) throw bad_param("stream_options", "stream_options must be an object");
    if (!job.stream) throw bad_param("stream_options", "stream_options needs stream set to true");
    job.include_usage = boolean(*so, "include_usage", false);
  }
  return job;
}

std::vector<TokenId> parse_tokenize_request(const std::string& body_text,
                                            const Tokenizer& tokenizer,
                                            ChatTemplate chat_template) {
  const json body = parse_body(body_text);
  if (field(body, "messages")) {
    try {
      return apply_chat_template(tokenizer, chat_template, chat_messages(body));
    } catch (const std::invalid_argument& e) {
      throw bad_param("messages", e.what());
    }
  }
  const json* p = field(body, "prompt");
  if (!p || !p->is_string()) throw bad_param("prompt", "prompt (a string) or messages is required");
  return tokenizer.encode(p->get<std::string>(), boolean(body, "add_special_tokens", true));
}

std::vector<TokenId> parse_detokenize_request(const std::string& body_text, int32_t n_vocab) {
  const json body = parse_body(body_text);
  const json* t = field(body, "tokens");
  if (!t || !t->is_array()) throw bad_param("tokens", "tokens (an array of token ids) is required");
  return token_ids(*t, "tokens", n_vocab);
}

json usage_json(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens) {
  return {{"prompt_tokens", prompt_tokens},
          {"completion_tokens", completion_tokens},
          {"total_tokens", prompt_tokens + completion_tokens},
          {"prompt_tokens_details", {{"cached_tokens", cached_tokens}}}};
}

json completion_response(const CompletionJob& job, const std::string& id, int64_t created,
                         const std::vector<ChoiceResult>& choices, const json& usage,
                         const Tokenizer& tokenizer) {
  const bool chat = job.endpoint == Endpoint::ChatCompletions;
  json out_choices = json::array();
  for (size_t i = 0; i < choices.size(); ++i) {
    const ChoiceResult& c = choices[i];
    json choice = {{"index", i}, {"finish_reason", c.finish_reason}};
    if (chat) {
      choice["message"] = {{"role", "assistant"}, {"content", c.text}};
      choice["logprobs"] = job.top_logprobs >= 0 ? chat_logprobs(c.logprobs, tokenizer) : json();
    } else {
      const std::string prefix = job.echo ? job.prompt_texts[i / job.n] : "";
      choice["text"] = prefix + c.text;
      choice["logprobs"] = job.top_logprobs >= 0
                               ? completion_logprobs(c.logprobs, tokenizer, utf8_length(prefix))
                               : json();
    }
    out_choices.push_back(choice);
  }
  return {{"id", id},
          {"object", chat ? "chat.completion" : "text_completion"},
          {"created", created},
          {"model", job.model},
          {"choices", out_choices},
          {"usage", usage}};
}

json stream_chunk(const CompletionJob& job, const std::string& id, int64_t created, int32_t index,
                  const ChunkDelta& d, const Tokenizer& tokenizer) {
  const bool chat = job.endpoint == Endpoint::ChatCompletions;
  const bool with_logprobs = job.top_logprobs >= 0 && !d.logprobs.empty();
  json choice = {{"index", index},
                 {"finish_reason", d.finish_reason ? json(*d.finish_reason) : json()}};
  if (chat) {
    json delta = json::object();
    if (d.role) delta["role"] = *d.role;
    if (!d.text.empty() || d.role) delta["content"] = d.text;
    choice["delta"] = delta;
    choice["logprobs"] = with_logprobs ? chat_logprobs(d.logprobs, tokenizer) : json();
  } else {
    choice["text"] = d.text;
    choice["logprobs"] =
        with_logprobs ? completion_logprobs(d.logprobs, tokenizer, d.text_offset) : json();
  }
  json chunk = {{"id", id},
                {"object", chat ? "chat.completion.chunk" : "text_completion"},
                {"created", created},
                {"model", job.model},
                {"choices", json::array({choice})}};
  if (job.include_usage) chunk["usage"] = nullptr;
  return chunk;
}

size_t utf8_length(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace engine::server
