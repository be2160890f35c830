#include "prompt_builder.h"

#include <array>
#include <cctype>
#include <random>
#include <string_view>

namespace loadgen {
namespace {

// Common words that most tokenizers keep whole, so words track tokens closely.
constexpr std::array<std::string_view, 240> kWords = {
    "time",    "year",        "people",    "way",     "day",     "man",        "thing",
    "woman",   "life",        "child",     "world",   "school",  "state",      "family",
    "student", "group",       "country",   "problem", "hand",    "part",       "place",
    "case",    "week",        "company",   "system",  "program", "question",   "work",
    "number",  "night",       "point",     "home",    "water",   "room",       "mother",
    "area",    "money",       "story",     "fact",    "month",   "lot",        "right",
    "study",   "book",        "eye",       "job",     "word",    "business",   "issue",
    "side",    "kind",        "head",      "house",   "service", "friend",     "father",
    "power",   "hour",        "game",      "line",    "end",     "member",     "law",
    "car",     "city",        "name",      "team",    "minute",  "idea",       "kid",
    "body",    "information", "back",      "parent",  "face",    "others",     "level",
    "office",  "door",        "health",    "person",  "art",     "war",        "history",
    "party",   "result",      "change",    "morning", "reason",  "research",   "girl",
    "guy",     "moment",      "air",       "teacher", "force",   "education",  "foot",
    "boy",     "age",         "policy",    "music",   "market",  "sense",      "be",
    "have",    "do",          "say",       "go",      "can",     "get",        "would",
    "make",    "know",        "will",      "think",   "take",    "see",        "come",
    "could",   "want",        "look",      "use",     "find",    "give",       "tell",
    "call",    "try",         "ask",       "need",    "feel",    "become",     "leave",
    "put",     "mean",        "keep",      "let",     "begin",   "seem",       "help",
    "talk",    "turn",        "start",     "show",    "hear",    "play",       "run",
    "move",    "like",        "live",      "believe", "hold",    "bring",      "happen",
    "write",   "provide",     "sit",       "stand",   "lose",    "pay",        "meet",
    "include", "continue",    "set",       "learn",   "lead",    "understand", "watch",
    "follow",  "stop",        "create",    "speak",   "read",    "allow",      "add",
    "spend",   "grow",        "open",      "walk",    "win",     "offer",      "remember",
    "love",    "consider",    "other",     "new",     "good",    "high",       "old",
    "great",   "big",         "small",     "large",   "young",   "different",  "long",
    "little",  "important",   "political", "bad",     "white",   "real",       "best",
    "early",   "strong",      "possible",  "whole",   "free",    "the",        "of",
    "and",     "to",          "in",        "for",     "on",      "with",       "at",
    "by",      "from",        "up",        "about",   "into",    "over",       "after",
    "quickly", "often",       "never",     "always",  "today",   "together",   "again",
    "almost",  "river",       "garden",    "window",  "winter",  "summer",     "bread",
    "stone",   "silver",
};

// splitmix64: one well-mixed 64-bit value per (seed, index) to seed that request's generator.
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

std::string PromptBuilder::build(uint64_t index, int n_words) const {
  std::mt19937_64 rng(mix(mix(seed_) ^ index));
  std::uniform_int_distribution<size_t> pick(0, kWords.size() - 1);
  std::uniform_int_distribution<int> sentence_length(6, 14);
  std::string out;
  out.reserve(static_cast<size_t>(n_words) * 7);
  int left_in_sentence = sentence_length(rng);
  bool sentence_start = true;
  for (int i = 0; i < n_words; ++i) {
    const std::string_view w = kWords[pick(rng)];
    if (!out.empty()) out += ' ';
    // Capitalized sentence starts and full stops make the text read like text, not a word list.
    out +=
        sentence_start ? static_cast<char>(std::toupper(static_cast<unsigned char>(w[0]))) : w[0];
    out += w.substr(1);
    sentence_start = --left_in_sentence == 0;
    if (sentence_start || i + 1 == n_words) {
      out += '.';
      left_in_sentence = sentence_length(rng);
    }
  }
  return out;
}

}  // namespace loadgen
