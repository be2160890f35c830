#include "server/api_handler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "server/openai_protocol.h"

namespace engine::server {
namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string dump(const json& j) {
  // Token pieces can be partial UTF-8 (byte-fallback tokens): replace rather than throw.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_type_for(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 404:
      return "not_found_error";
    case 405:
      return "invalid_request_error";
    case 413:
      return "invalid_request_error";
    case 429:
      return "rate_limit_error";
    case 503:
      return "service_unavailable_error";
    default:
      return "server_error";
  }
}

void send_error(Exchange& ex, const ApiError& e,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
  ex.respond(static_cast<http::status>(e.status), "application/json",
             dump(error_body(e.what(), e.type, e.param, e.code)), std::move(headers));
}

void send_json(Exchange& ex, const json& body) {
  ex.respond(http::status::ok, "application/json", dump(body));
}

// Collects the outputs of one request's sequences (its choices) and answers the client: as SSE
// chunks while they come when streaming, else one response when the last choice finishes. Sinks
// run on the engine thread; begin() runs on the server's once the sequences are queued.
class CompletionStream : public std::enable_shared_from_this<CompletionStream> {
 public:
  CompletionStream(CompletionJob job, std::string id, const Tokenizer& tokenizer,
                   std::shared_ptr<Exchange> ex)
      : job_(std::move(job)),
        id_(std::move(id)),
        created_(unix_now()),
        tokenizer_(tokenizer),
        ex_(std::move(ex)),
        choices_(job_.prompts.size() * job_.n),
        started_(choices_.size(), false),
        offsets_(choices_.size(), 0) {}

  size_t n_choices() const { return choices_.size(); }

  void begin() {
    std::lock_guard lock(mutex_);
    if (job_.stream) ex_->start_stream("text/event-stream");
    begun_ = true;
    for (std::string& chunk : pending_) ex_->send_chunk(std::move(chunk));
    pending_.clear();
    if (finished_ == choices_.size()) complete();
  }

  void on_output(size_t index, SequenceOutput&& out) {
    std::lock_guard lock(mutex_);
    ChoiceResult& c = choices_[index];
    // Usage counts each prompt once, however many choices it has.
    if (index % job_.n == 0 && out.finish) {
      prompt_tokens_ += out.prompt_tokens;
      cached_tokens_ += out.cached_prompt_tokens;
    }
    if (!job_.stream) {
      c.text += out.text;
      c.logprobs.insert(c.logprobs.end(), out.logprobs.begin(), out.logprobs.end());
    } else if (out.finish != FinishReason::Abort) {
      stream_output(index, out);
    }
    if (!out.finish) return;
    c.finish_reason = finish_reason_name(*out.finish);
    completion_tokens_ += out.completion_tokens;
    aborted_ = aborted_ || *out.finish == FinishReason::Abort;
    if (++finished_ == choices_.size() && begun_) complete();
  }

 private:
  void emit(std::string event) {
    if (begun_) {
      ex_->send_chunk(std::move(event));
    } else {
      pending_.push_back(std::move(event));
    }
  }

  void emit_json(const json& j) { emit("data: " + dump(j) + "\n\n"); }

  void stream_output(size_t index, const SequenceOutput& out) {
    const auto i = static_cast<int32_t>(index);
    if (!started_[index]) {
      started_[index] = true;
      ChunkDelta first;
      if (job_.endpoint == Endpoint::ChatCompletions) {
        static const std::string kRole = "assistant";
        first.role = &kRole;
        emit_json(stream_chunk(job_, id_, created_, i, first, tokenizer_));
      } else if (job_.echo) {
        first.text = job_.prompt_texts[index / job_.n];
        emit_json(stream_chunk(job_, id_, created_, i, first, tokenizer_));
        offsets_[index] = utf8_length(first.text);
      }
    }
    if (!out.text.empty() || !out.logprobs.empty()) {
      ChunkDelta d;
      d.text = out.text;
      d.logprobs = out.logprobs;
      d.text_offset = offsets_[index];
      emit_json(stream_chunk(job_, id_, created_, i, d, tokenizer_));
      for (const TokenLogprob& lp : out.logprobs) {
        offsets_[index] += utf8_length(tokenizer_.token_bytes(lp.token));
      }
    }
    if (out.finish) {
      const std::string reason = finish_reason_name(*out.finish);
      ChunkDelta last;
      last.finish_reason = &reason;
      emit_json(stream_chunk(job_, id_, created_, i, last, tokenizer_));
    }
  }

  void complete() {
    const json usage = usage_json(prompt_tokens_, completion_tokens_, cached_tokens_);
    const bool chat = job_.endpoint == Endpoint::ChatCompletions;
    // An abort reaches a client still listening only when the engine failed; say so rather than
    // pass a cut answer off as whole. (A client that left gets nothing: its connection is gone.)
    const json failure =
        error_body("generation was aborted by an engine error", "server_error", "", "engine_error");
    if (job_.stream) {
      if (aborted_) {
        emit_json(failure);
      } else {
        if (job_.include_usage) {
          emit_json({{"id", id_},
                     {"object", chat ? "chat.completion.chunk" : "text_completion"},
                     {"created", created_},
                     {"model", job_.model},
                     {"choices", json::array()},
                     {"usage", usage}});
        }
        emit("data: [DONE]\n\n");
      }
      ex_->end_stream();
    } else if (aborted_) {
      ex_->respond(http::status::internal_server_error, "application/json", dump(failure));
    } else {
      // A whole answer (n choices with logprobs can be large) is built on the server's thread,
      // not the engine's; every choice has finished, so nothing changes it any more.
      ex_->defer([self = shared_from_this(), usage] {
        send_json(*self->ex_, completion_response(self->job_, self->id_, self->created_,
                                                  self->choices_, usage, self->tokenizer_));
      });
    }
  }

  const CompletionJob job_;
  const std::string id_;
  const int64_t created_;
  const Tokenizer& tokenizer_;
  const std::shared_ptr<Exchange> ex_;
  std::mutex mutex_;
  std::vector<ChoiceResult> choices_;
  std::vector<bool> started_;    // the choice's opening chunk (role, or echoed prompt) is out
  std::vector<size_t> offsets_;  // text_offset of the choice's next token
  std::vector<std::string> pending_;
  size_t finished_ = 0;
  bool begun_ = false;
  bool aborted_ = false;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0, cached_tokens_ = 0;
};

}  // namespace

std::string error_json(http::status status, const std::string& message) {
  const int code = static_cast<int>(status);
  return dump(error_body(message, error_type_for(code), "", ""));
}

ApiHandler::ApiHandler(std::string served_model_name, EngineMetrics& metrics)
    : model_name_(std::move(served_model_name)), metrics_(metrics), created_(unix_now()) {}

void ApiHandler::set_ready(ServingEngine& engine, const Tokenizer& tokenizer) {
  engine_ = &engine;
  tokenizer_ = &tokenizer;
  chat_template_ = detect_chat_template(tokenizer);
  ready_.store(true, std::memory_order_release);
}

void ApiHandler::require_ready() const {
  if (draining_) {
    metrics_.requests_rejected.with({{"reason", "draining"}}).inc();
    throw ApiError(503, "service_unavailable_error", "the server is shutting down");
  }
  if (!ready_.load(std::memory_order_acquire)) {
    throw ApiError(503, "service_unavailable_error", "the model is still loading");
  }
}

void ApiHandler::handle(const Request& req, std::shared_ptr<Exchange> ex) {
  const std::string target(req.target());
  const std::string path = target.substr(0, target.find('?'));
  const bool get = req.method() == http::verb::get || req.method() == http::verb::head;
  const bool post = req.method() == http::verb::post;
  try {
    const auto route = [&](bool method_ok) {
      if (!method_ok) {
        throw ApiError(405, "invalid_request_error",
                       "method " + std::string(req.method_string()) + " is not allowed on " + path);
      }
    };
    if (path == "/health") {
      route(get);
      health(ex);
    } else if (path == "/metrics") {
      route(get);
      ex->respond(http::status::ok, "text/plain; version=0.0.4; charset=utf-8",
                  metrics_.registry.render());
    } else if (path == "/v1/models") {
      route(get);
      models(ex);
    } else if (path == "/v1/completions" || path == "/v1/chat/completions") {
      route(post);
      completions(req, ex, path == "/v1/chat/completions");
    } else if (path == "/tokenize") {
      route(post);
      tokenize(req, ex);
    } else if (path == "/detokenize") {
      route(post);
      detokenize(req, ex);
    } else {
      throw ApiError(404, "not_found_error", "no route for " + path);
    }
  } catch (const ApiError& e) {
    send_error(*ex, e);
  } catch (const json::exception& e) {
    // A body of the wrong shape that a check missed: still the client's error.
    send_error(*ex, ApiError(400, "invalid_request_error", e.what()));
  }
}

void ApiHandler::health(std::shared_ptr<Exchange> ex) {
  if (draining_ || !ready_.load(std::memory_order_acquire)) {
    ex->respond(http::status::service_unavailable, "application/json",
                dump({{"status", draining_ ? "draining" : "loading"}}));
  } else {
    ex->respond(http::status::ok, "application/json", dump({{"status", "ok"}}));
  }
}

void ApiHandler::models(std::shared_ptr<Exchange> ex) {
  json model = {{"id", model_name_},
                {"object", "model"},
                {"created", created_},
                {"owned_by", "mistral-fleet"},
                {"root", model_name_}};
  if (ready_.load(std::memory_order_acquire)) {
    model["max_model_len"] = engine_->max_sequence_tokens();
  }
  send_json(*ex, {{"object", "list"}, {"data", json::array({model})}});
}

void ApiHandler::completions(const Request& req, std::shared_ptr<Exchange> ex, bool chat) {
  require_ready();
  CompletionJob job =
      parse_completion_request(chat ? Endpoint::ChatCompletions : Endpoint::Completions, req.body(),
                               *tokenizer_, chat_template_, engine_->max_sequences());
  if (!job.unknown_fields.empty()) {
    std::string names;
    for (const std::string& f : job.unknown_fields) names += (names.empty() ? "" : ", ") + f;
    spdlog::warn("ignoring unknown request fields: {}", names);
  }
  if (!job.model.empty() && job.model != model_name_) {
    throw ApiError(404, "not_found_error", "The model `" + job.model + "` does not exist.", "model",
                   "model_not_found");
  }
  job.model = model_name_;

  const int32_t limit = engine_->max_sequence_tokens();
  std::vector<SequenceSpec> specs;
  for (const std::vector<TokenId>& prompt : job.prompts) {
    const auto n_prompt = static_cast<int32_t>(prompt.size());
    int32_t max_tokens = job.base.max_tokens;
    if (!job.max_tokens_given && chat) max_tokens = limit - n_prompt;
    if (static_cast<int64_t>(n_prompt) + std::max(max_tokens, 1) > limit) {
      throw ApiError(400, "invalid_request_error",
                     "This model's maximum context length is " + std::to_string(limit) +
                         " tokens. However, you requested " +
                         std::to_string(n_prompt + std::max(max_tokens, 1)) + " tokens (" +
                         std::to_string(n_prompt) + " in the " + (chat ? "messages" : "prompt") +
                         ", " + std::to_string(std::max(max_tokens, 1)) +
                         " in the completion). Please reduce the length of the " +
                         (chat ? "messages" : "prompt") + " or completion.",
                     chat ? "messages" : "prompt", "context_length_exceeded");
    }
    for (int32_t i = 0; i < job.n; ++i) {
      SequenceSpec spec = job.base;
      spec.prompt = prompt;
      spec.max_tokens = max_tokens;
      // Choices of one request differ, yet a seeded request repeats exactly.
      if (spec.sampling.seed) *spec.sampling.seed += static_cast<uint64_t>(i);
      specs.push_back(std::move(spec));
    }
  }

  const std::string id = (chat ? "chatcmpl-" : "cmpl-") + std::to_string(created_) + "-" +
                         std::to_string(next_request_++);
  auto stream = std::make_shared<CompletionStream>(std::move(job), id, *tokenizer_, ex);
  std::vector<OutputSink> sinks;
  for (size_t i = 0; i < stream->n_choices(); ++i) {
    sinks.push_back([stream, i](SequenceOutput&& out) { stream->on_output(i, std::move(out)); });
  }
  std::vector<SeqId> ids;
  try {
    ids = engine_->submit(std::move(specs), std::move(sinks));
  } catch (const QueueFullError& e) {
    metrics_.requests_rejected.with({{"reason", "queue_full"}}).inc();
    send_error(*ex, ApiError(429, "rate_limit_error", e.what(), "", "queue_full"),
               {{"Retry-After", "1"}});
    return;
  } catch (const std::invalid_argument& e) {
    throw ApiError(400, "invalid_request_error", e.what());
  }
  ex->on_disconnect([engine = engine_, ids] {
    for (SeqId id : ids) engine->cancel(id);
  });
  stream->begin();
}

void ApiHandler::tokenize(const Request& req, std::shared_ptr<Exchange> ex) {
  require_ready();
  const std::vector<TokenId> ids = parse_tokenize_request(req.body(), *tokenizer_, chat_template_);
  send_json(
      *ex,
      {{"tokens", ids}, {"count", ids.size()}, {"max_model_len", engine_->max_sequence_tokens()}});
}

void ApiHandler::detokenize(const Request& req, std::shared_ptr<Exchange> ex) {
  require_ready();
  const std::vector<TokenId> ids = parse_detokenize_request(req.body(), tokenizer_->size());
  send_json(*ex, {{"prompt", tokenizer_->decode(ids)}});
}

}  // namespace engine::server
