// libFuzzer target: any bytes given to the GGUF parser, and to the model and vocabulary readers
// behind it, either parse or fail with an exception; never a crash, leak or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "gguf/gguf_file.h"
#include "model/model_config.h"
#include "tokenizer/vocabulary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const engine::GgufFile f = engine::GgufFile::parse(std::span(data, size), "fuzz.gguf");
    for (const auto& [key, value] : f.metadata()) (void)value.to_display_string();
    try {
      (void)engine::ModelConfig::from_gguf(f);
    } catch (const std::runtime_error&) {
    }
    try {
      (void)engine::load_vocabulary(f);
    } catch (const std::runtime_error&) {
    }
  } catch (const engine::GgufError&) {
  }
  return 0;
}
