#include "response_meter.h"

namespace loadgen {

using nlohmann::json;

namespace {

constexpr size_t kMaxBodyBytes = 64 << 20;  // a whole answer; far above any sane max_tokens

// The text a choice adds: "text" for completions, "delta.content" for chat chunks.
std::string_view choice_text(const json& choice, Endpoint endpoint) {
  const json* text = nullptr;
  if (endpoint == Endpoint::Chat) {
    const auto delta = choice.find("delta");
    if (delta != choice.end() && delta->is_object()) {
      const auto content = delta->find("content");
      if (content != delta->end()) text = &*content;
    }
  } else {
    const auto t = choice.find("text");
    if (t != choice.end()) text = &*t;
  }
  return text && text->is_string() ? std::string_view(text->get_ref<const std::string&>())
                                   : std::string_view();
}

// The "error.message" of an OpenAI error body, else the body itself.
std::string error_message(const std::string& body) {
  const json j = json::parse(body, nullptr, false);
  if (j.is_object()) {
    const auto e = j.find("error");
    if (e != j.end()) {
      if (e->is_object() && e->contains("message") && (*e)["message"].is_string()) {
        return (*e)["message"].get<std::string>();
      }
      if (e->is_string()) return e->get<std::string>();
    }
  }
  return body;
}

}  // namespace

std::string one_line(std::string_view text, size_t limit) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  }
  return out;
}

ResponseMeter::ResponseMeter(Endpoint endpoint, bool stream, Clock::time_point start)
    : endpoint_(endpoint), stream_(stream) {
  result_.start = start;
}

void ResponseMeter::malformed(const std::string& what) {
  if (problem_.empty()) {
    problem_ = stream_ ? "malformed SSE" : "malformed response";
    problem_detail_ = one_line(what);
  }
}

void ResponseMeter::on_header(int status, std::string_view content_type) {
  status_ = status;
  if (stream_ && status == 200 && content_type.substr(0, 17) != "text/event-stream") {
    malformed("Content-Type is '" + std::string(content_type) + "', not text/event-stream");
  }
}

void ResponseMeter::on_body(std::string_view bytes, Clock::time_point now) {
  if (!stream_ || status_ != 200) {
    // Error bodies only need their start; whole answers are parsed at the end.
    const size_t limit = status_ == 200 ? kMaxBodyBytes : 4096;
    if (body_.size() + bytes.size() > limit) {
      if (status_ == 200) malformed("the answer exceeds 64 MiB");
      bytes = bytes.substr(0, limit - std::min(limit, body_.size()));
    }
    body_.append(bytes);
    return;
  }
  try {
    for (const std::string& event : sse_.feed(bytes)) on_event(event, now);
  } catch (const std::length_error& e) {
    malformed(e.what());
  }
}

void ResponseMeter::on_event(const std::string& data, Clock::time_point now) {
  if (done_) return;  // nothing after [DONE] counts
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  const json j = json::parse(data, nullptr, false);
  if (!j.is_object()) {
    malformed("an event is not a JSON object: " + data);
    return;
  }
  if (const auto e = j.find("error"); e != j.end() && !e->is_null()) {
    if (problem_.empty()) {
      problem_ = "error event";
      problem_detail_ = one_line(error_message(data));
    }
    return;
  }
  if (const auto choices = j.find("choices"); choices != j.end() && choices->is_array()) {
    size_t text_bytes = 0;
    for (const json& choice : *choices) {
      if (choice.is_object()) text_bytes += choice_text(choice, endpoint_).size();
    }
    if (text_bytes > 0) {
      if (result_.content_chunks == 0) {
        result_.ttft_s = seconds_between(result_.start, now);
      } else {
        result_.itl_s.push_back(seconds_between(last_content_, now));
      }
      last_content_ = now;
      ++result_.content_chunks;
    }
  } else if (choices != j.end()) {
    malformed("\"choices\" is not an array: " + data);
  }
  if (const auto usage = j.find("usage"); usage != j.end()) on_usage(*usage);
}

void ResponseMeter::on_usage(const json& usage) {
  if (!usage.is_object()) return;  // servers send "usage": null on every chunk but the last
  const auto count = [&](const char* key) -> int64_t {
    const auto v = usage.find(key);
    return v != usage.end() && v->is_number_integer() ? v->get<int64_t>() : 0;
  };
  result_.output_tokens = count("completion_tokens");
  result_.prompt_tokens = count("prompt_tokens");
  result_.usage_reported = true;
}

RequestResult ResponseMeter::finish(Clock::time_point now) {
  result_.end = now;
  if (status_ != 200) {
    result_.error = "http " + std::to_string(status_);
    result_.detail = one_line(error_message(body_));
    return std::move(result_);
  }
  if (!stream_ && problem_.empty()) {
    const json j = json::parse(body_, nullptr, false);
    if (!j.is_object() || !j.contains("choices")) {
      malformed("not a completion object: " + body_);
    } else if (j.contains("error") && !j["error"].is_null()) {
      problem_ = "error response";
      problem_detail_ = one_line(error_message(body_));
    } else if (j.contains("usage")) {
      on_usage(j["usage"]);
    }
  }
  if (stream_ && problem_.empty() && !done_) {
    problem_ = "incomplete stream";
    problem_detail_ =
        sse_.mid_event() ? "the body ended inside an event" : "the body ended without data: [DONE]";
  }
  if (!problem_.empty()) {
    result_.error = problem_;
    result_.detail = problem_detail_;
    return std::move(result_);
  }
  // Without a usage report each content chunk stands for one token.
  if (stream_ && !result_.usage_reported) result_.output_tokens = result_.content_chunks;
  result_.ok = true;
  return std::move(result_);
}

}  // namespace loadgen
