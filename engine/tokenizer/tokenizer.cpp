#include "tokenizer/tokenizer.h"

#include <cstdint>
#include <queue>
#include <stdexcept>
#include <string>
#include <utility>

namespace engine {

namespace {

// SentencePiece writes spaces as U+2581 LOWER ONE EIGHTH BLOCK.
constexpr std::string_view kSpaceMark = "\xE2\x96\x81";
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";
// What SentencePiece prints for <unk>.
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";

enum class Utf8Status { Complete, Incomplete, Invalid };

struct Utf8Seq {
  Utf8Status status;
  size_t len;  // Complete: sequence length; Incomplete: bytes present; Invalid: bytes to replace
};

// Classifies the bytes at s[i] per the Unicode well-formedness table. An Invalid result covers
// the "maximal subpart" so that one U+FFFD replaces it, as WHATWG/ICU decoders do; that keeps the
// streaming and one-shot decoders byte-identical.
Utf8Seq utf8_seq(std::string_view s, size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) return {Utf8Status::Complete, 1};
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return {Utf8Status::Invalid, 1};
  }
  for (size_t k = 1; k < need; ++k) {
    if (i + k >= s.size()) return {Utf8Status::Incomplete, k};
    const auto b = static_cast<unsigned char>(s[i + k]);
    if (b < lo || b > hi) return {Utf8Status::Invalid, k};
    lo = 0x80;
    hi = 0xBF;
  }
  return {Utf8Status::Complete, need};
}

// Parses "<0xXX>", the spelling of SentencePiece byte pieces; -1 otherwise.
int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int value = 0;
  for (size_t i = 3; i < 5; ++i) {
    const char c = piece[i];
    value <<= 4;
    if (c >= '0' && c <= '9') {
      value |= c - '0';
    } else if (c >= 'A' && c <= 'F') {
      value |= c - 'A' + 10;
    } else if (c >= 'a' && c <= 'f') {
      value |= c - 'a' + 10;
    } else {
      return -1;
    }
  }
  return value;
}

// Pieces that text may turn into. Control, byte, unknown and unused tokens only ever come from
// the engine itself, so a user typing "</s>" or "<0x0A>" gets ordinary pieces.
bool is_text_type(TokenType t) {
  return t == TokenType::Normal || t == TokenType::UserDefined || t == TokenType::Undefined;
}

// One SentencePiece symbol: a byte range of the normalized text in a doubly linked list.
struct Symbol {
  uint32_t offset;
  uint32_t n;  // 0 once merged into its left neighbour
  int32_t prev;
  int32_t next;
};

struct Bigram {
  float score;
  int32_t left;
  int32_t right;
  uint32_t size;  // bytes of the merged piece; a mismatch later marks the entry stale
};

// Highest score first; among equal scores the leftmost pair, as llama.cpp's SPM tokenizer does.
struct BigramLess {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

Tokenizer::Tokenizer(Vocabulary vocab) : vocab_(std::move(vocab)) {
  const size_t n = vocab_.tokens.size();
  if (n == 0) throw std::invalid_argument("tokenizer: the vocabulary is empty");
  if (n > static_cast<size_t>(INT32_MAX)) throw std::invalid_argument("tokenizer: too many tokens");
  // GGUF files may omit scores or types; SentencePiece then treats every piece alike.
  if (vocab_.scores.empty()) vocab_.scores.assign(n, 0.0f);
  if (vocab_.types.empty()) vocab_.types.assign(n, TokenType::Normal);
  if (vocab_.scores.size() != n || vocab_.types.size() != n) {
    throw std::invalid_argument("tokenizer: tokens, scores and types differ in length (" +
                                std::to_string(n) + ", " + std::to_string(vocab_.scores.size()) +
                                ", " + std::to_string(vocab_.types.size()) + ")");
  }
  const auto in_range = [n](TokenId id) { return id >= 0 && static_cast<size_t>(id) < n; };
  if (!in_range(vocab_.bos_id) || !in_range(vocab_.eos_id)) {
    throw std::invalid_argument("tokenizer: BOS or EOS id outside the vocabulary");
  }
  if (vocab_.unk_id != -1 && !in_range(vocab_.unk_id)) {
    throw std::invalid_argument("tokenizer: UNK id outside the vocabulary");
  }

  piece_to_id_.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    // First occurrence wins, as in llama.cpp's token_to_id map.
    piece_to_id_.emplace(vocab_.tokens[i], static_cast<TokenId>(i));
  }
  for (TokenId& id : byte_ids_) id = -1;
  for (size_t i = 0; i < n; ++i) {
    if (vocab_.types[i] != TokenType::Byte) continue;
    const int b = parse_byte_piece(vocab_.tokens[i]);
    if (b >= 0 && byte_ids_[b] < 0) byte_ids_[b] = static_cast<TokenId>(i);
  }
}

TokenId Tokenizer::find(std::string_view piece) const {
  const auto it = piece_to_id_.find(piece);
  return it == piece_to_id_.end() ? -1 : it->second;
}

bool Tokenizer::is_control(TokenId id) const {
  return id >= 0 && id < size() && vocab_.types[id] == TokenType::Control;
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_bos) const {
  std::vector<TokenId> out;
  if (add_bos && vocab_.add_bos) out.push_back(vocab_.bos_id);
  // llama.cpp adds no prefix to empty text, so "" is just [BOS] (or nothing).
  if (text.empty()) return out;

  std::string norm;
  norm.reserve(text.size() + kSpaceMark.size() * 8);
  if (vocab_.add_space_prefix) norm += kSpaceMark;
  for (const char c : text) {
    if (c == ' ') {
      norm += kSpaceMark;
    } else {
      norm += c;
    }
  }
  if (norm.size() > UINT32_MAX) throw std::length_error("tokenizer: text too long");

  // One symbol per UTF-8 character; a byte that starts no well-formed character stands alone
  // and later falls back to its byte token.
  std::vector<Symbol> symbols;
  symbols.reserve(norm.size());
  for (size_t i = 0; i < norm.size();) {
    const Utf8Seq seq = utf8_seq(norm, i);
    const size_t len = seq.status == Utf8Status::Complete ? seq.len : 1;
    const auto idx = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(len), idx - 1, idx + 1});
    i += len;
  }
  symbols.back().next = -1;

  std::vector<Bigram> storage;
  storage.reserve(symbols.size());
  std::priority_queue<Bigram, std::vector<Bigram>, BigramLess> queue(BigramLess{},
                                                                     std::move(storage));
  const auto try_add = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[left];
    const Symbol& r = symbols[right];
    const auto it = piece_to_id_.find(std::string_view(norm).substr(l.offset, l.n + r.n));
    if (it == piece_to_id_.end() || !is_text_type(vocab_.types[it->second])) return;
    queue.push({vocab_.scores[it->second], left, right, l.n + r.n});
  };
  for (size_t i = 1; i < symbols.size(); ++i) {
    try_add(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));
  }

  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = symbols[b.left];
    Symbol& r = symbols[b.right];
    // Either side merged since this entry was queued: its sizes no longer add up.
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) symbols[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }

  // Merges only ever produce pieces, so the one symbol kind without a piece is a lone character
  // the vocabulary lacks: it becomes one byte token per UTF-8 byte.
  for (int32_t i = 0; i >= 0; i = symbols[i].next) {
    const std::string_view sym = std::string_view(norm).substr(symbols[i].offset, symbols[i].n);
    const auto it = piece_to_id_.find(sym);
    if (it != piece_to_id_.end() && is_text_type(vocab_.types[it->second])) {
      out.push_back(it->second);
      continue;
    }
    for (const char c : sym) {
      const TokenId id = byte_ids_[static_cast<unsigned char>(c)];
      if (id >= 0) {
        out.push_back(id);
      } else if (vocab_.unk_id >= 0) {
        out.push_back(vocab_.unk_id);
      } else {
        throw std::runtime_error("tokenizer: no byte or unknown token for a character");
      }
    }
  }
  return out;
}

std::string Tokenizer::token_bytes(TokenId id) const {
  if (id < 0 || id >= size()) {
    throw std::out_of_range("tokenizer: token id " + std::to_string(id) + " outside [0, " +
                            std::to_string(size()) + ")");
  }
  const std::string& piece = vocab_.tokens[id];
  switch (vocab_.types[id]) {
    case TokenType::Control:
    case TokenType::Unused:
      return {};
    case TokenType::Unknown:
      return std::string(kUnknownSurface);
    case TokenType::Byte: {
      const int b = parse_byte_piece(piece);
      return b >= 0 ? std::string(1, static_cast<char>(b)) : std::string();
    }
    default:
      break;
  }
  std::string out;
  out.reserve(piece.size());
  for (size_t pos = 0;;) {
    const size_t hit = piece.find(kSpaceMark, pos);
    if (hit == std::string::npos) {
      out.append(piece, pos, std::string::npos);
      break;
    }
    out.append(piece, pos, hit - pos);
    out += ' ';
    pos = hit + kSpaceMark.size();
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<TokenId>& ids, bool skip_leading_space) const {
  // One code path for both decoders, so streamed chunks always concatenate to decode().
  StreamingDetokenizer detok(*this, skip_leading_space);
  std::string out;
  for (const TokenId id : ids) out += detok.push(id);
  out += detok.finish();
  return out;
}

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer, bool skip_leading_space)
    : tokenizer_(tokenizer), at_start_(true), skip_leading_space_(skip_leading_space) {}

std::string StreamingDetokenizer::push(TokenId id) {
  std::string bytes = tokenizer_.token_bytes(id);
  if (bytes.empty()) return {};  // control tokens leave the start-of-text state untouched
  if (at_start_) {
    at_start_ = false;
    // Only the space that the dummy prefix produced goes: it is the "▁" opening a text piece.
    const Vocabulary& v = tokenizer_.vocab();
    if (skip_leading_space_ && v.add_space_prefix && is_text_type(v.types[id]) &&
        std::string_view(v.tokens[id]).starts_with(kSpaceMark)) {
      bytes.erase(0, 1);
    }
  }
  pending_ += bytes;

  std::string out;
  size_t i = 0;
  while (i < pending_.size()) {
    const Utf8Seq seq = utf8_seq(pending_, i);
    if (seq.status == Utf8Status::Incomplete) break;  // the next byte token may complete it
    if (seq.status == Utf8Status::Complete) {
      out.append(pending_, i, seq.len);
    } else {
      out += kReplacementChar;
    }
    i += seq.len;
  }
  pending_.erase(0, i);
  return out;
}

std::string StreamingDetokenizer::finish() {
  std::string out;
  // What is held back is a cut-off prefix of one character: it can never complete now.
  if (!pending_.empty()) out = kReplacementChar;
  pending_.clear();
  return out;
}

}  // namespace engine
