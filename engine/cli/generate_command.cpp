#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/args.h"
#include "cli/commands.h"
#include "generation/generate.h"
#include "tokenizer/chat_template.h"

namespace engine::cli {

int run_generate(const std::vector<std::string>& argv) {
  const Args args(
      argv,
      {"model", "prompt", "max-tokens", "temperature", "top-k", "top-p", "min-p", "repeat-penalty",
       "presence-penalty", "frequency-penalty", "stop", "seed", "threads", "system", "device"},
      {"chat", "json"});
  const std::string path = args.required("model");
  const std::string prompt = args.required("prompt");
  const int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = static_cast<int>(args.integer("threads", hw, 1, 1024));
  const DeviceChoice device = parse_device(args);
  if (args.has("system") && !args.flag("chat")) throw UsageError("--system needs --chat");

  GenerationRequest req;
  req.max_tokens = static_cast<int32_t>(args.integer("max-tokens", 128, 0, 1 << 24));
  req.sampling.temperature = static_cast<float>(args.number("temperature", 0.8, 0.0, 100.0));
  req.sampling.top_k = static_cast<int32_t>(args.integer("top-k", 0, 0, 1 << 24));
  req.sampling.top_p = static_cast<float>(args.number("top-p", 1.0, 0.0, 1.0));
  req.sampling.min_p = static_cast<float>(args.number("min-p", 0.0, 0.0, 1.0));
  req.sampling.repetition_penalty =
      static_cast<float>(args.number("repeat-penalty", 1.0, 1e-3, 100.0));
  req.sampling.presence_penalty =
      static_cast<float>(args.number("presence-penalty", 0.0, -2.0, 2.0));
  req.sampling.frequency_penalty =
      static_cast<float>(args.number("frequency-penalty", 0.0, -2.0, 2.0));
  if (args.has("seed")) {
    req.sampling.seed = static_cast<uint64_t>(args.integer("seed", 0, 0, INT64_MAX));
  }
  req.stop = args.all("stop");

  const auto t0 = std::chrono::steady_clock::now();
  Model model(path, threads, device);
  const Tokenizer tokenizer(load_vocabulary(model.file()));
  const double load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  if (args.flag("chat")) {
    std::vector<ChatMessage> messages;
    if (args.has("system")) messages.push_back({"system", args.str("system", "")});
    messages.push_back({"user", prompt});
    req.prompt = apply_chat_template(tokenizer, detect_chat_template(tokenizer), messages);
  } else {
    req.prompt = tokenizer.encode(prompt, true);
  }

  const bool json = args.flag("json");
  const GenerationResult r = generate(model, tokenizer, req, [&](const std::string& text) {
    if (!json) {
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    }
  });

  if (json) {
    nlohmann::json out = {{"prompt_tokens", req.prompt},
                          {"tokens", r.tokens},
                          {"text", r.text},
                          {"finish_reason", r.finish_reason},
                          {"timings",
                           {{"load_seconds", load_seconds},
                            {"prompt_tokens", r.prompt_tokens},
                            {"prompt_seconds", r.prompt_seconds},
                            {"prompt_tokens_per_second", r.prompt_tokens_per_second()},
                            {"decode_tokens", r.decode_steps},
                            {"decode_seconds", r.decode_seconds},
                            {"decode_tokens_per_second", r.decode_tokens_per_second()},
                            {"threads", model.threads()}}}};
    // Invalid UTF-8 cannot come out of the detokenizer, but replace rather than throw if it did.
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::fprintf(stderr,
                 "\n[prompt: %d tokens, %.2f tokens/s | decode: %d tokens, %.2f tokens/s | "
                 "%s, %d threads]\n",
                 r.prompt_tokens, r.prompt_tokens_per_second(), r.decode_steps,
                 r.decode_tokens_per_second(), r.finish_reason.c_str(), model.threads());
  }
  return 0;
}

}  // namespace engine::cli
