#include "rules/lexer.h"

#include <algorithm>
#include <array>
#include <charconv>

namespace callroot::rules {
namespace {

bool ident_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) noexcept { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) noexcept { return c >= '0' && c <= '9'; }

struct UnitSpec {
  std::string_view text;
  BaseUnit base;
  double factor;
};
constexpr std::array kUnits{
    UnitSpec{"ms", BaseUnit::kMs, 1},        UnitSpec{"s", BaseUnit::kMs, 1000},
    UnitSpec{"min", BaseUnit::kMs, 60000},   UnitSpec{"dBm", BaseUnit::kDbm, 1},
    UnitSpec{"dB", BaseUnit::kDb, 1},        UnitSpec{"Mbps", BaseUnit::kKbps, 1000},
    UnitSpec{"kbps", BaseUnit::kKbps, 1},    UnitSpec{"GHz", BaseUnit::kGhz, 1},
    UnitSpec{"fps", BaseUnit::kFps, 1},
};
constexpr std::string_view kUnitList = "ms, s, min, %, dBm, dB, Mbps, kbps, GHz, /s, fps";

class Lexer {
 public:
  Lexer(const SourceFile& f, std::vector<Diagnostic>& diags, std::uint32_t begin, std::uint32_t end)
      : f_(f), s_(f.text), diags_(diags), pos_(begin), end_(std::min<std::uint32_t>(end, static_cast<std::uint32_t>(f.text.size()))) {
    // Line of `begin`: the last line start at or before it.
    line_ = f.line_of(begin);
    line_begin_ = f.line_starts[line_ - 1];
    // A sub-lexer (explain templates) does not start at a line start.
    last_line_ = begin == line_begin_ ? 0 : line_;
  }

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t = next();
      out.push_back(std::move(t));
      if (out.back().kind == Tok::kEof) break;
    }
    return out;
  }

 private:
  char peek(std::uint32_t k = 0) const noexcept { return pos_ + k < end_ ? s_[pos_ + k] : '\0'; }

  void skip_space() {
    while (pos_ < end_) {
      const char c = s_[pos_];
      if (c == '\n') {
        ++pos_;
        ++line_;
        line_begin_ = pos_;
      } else if (c == ' ' || c == '\t' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < end_ && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  SourceRange range(std::uint32_t b, std::uint32_t e) const noexcept {
    // Ranges stay on the token's first line.
    const std::uint32_t line_end = line_ < f_.line_starts.size() ? f_.line_starts[line_] - 1 : static_cast<std::uint32_t>(s_.size());
    if (e > line_end) e = std::max(line_end, b + 1);
    return SourceRange{&f_, line_, b - line_begin_ + 1, e - line_begin_ + 1};
  }

  void error(std::uint32_t b, std::uint32_t e, std::string msg, std::string hint) {
    diags_.push_back(Diagnostic{DiagnosticCode::E020, range(b, e), std::move(msg), std::move(hint)});
  }

  Token make(Tok k, std::uint32_t b) {
    Token t;
    t.kind = k;
    t.offset = b;
    t.end_offset = pos_;
    t.range = range(b, pos_);
    t.text = s_.substr(b, pos_ - b);
    t.line_start = last_line_ != line_;
    last_line_ = line_;
    return t;
  }

  Token next() {
    const std::uint32_t b = pos_;
    if (pos_ >= end_) return make(Tok::kEof, b);
    const char c = s_[pos_];
    if (ident_start(c)) {
      while (ident_char(peek())) ++pos_;
      return make(Tok::kIdent, b);
    }
    if (digit(c)) return number(b);
    if (c == '"') return string(b);
    ++pos_;
    switch (c) {
      case '{': return make(Tok::kLBrace, b);
      case '}': return make(Tok::kRBrace, b);
      case '[': return make(Tok::kLBracket, b);
      case ']': return make(Tok::kRBracket, b);
      case '(': return make(Tok::kLParen, b);
      case ')': return make(Tok::kRParen, b);
      case ',': return make(Tok::kComma, b);
      case ':': return make(Tok::kColon, b);
      case '.': return make(Tok::kDot, b);
      case '+': return make(Tok::kPlus, b);
      case '-': return make(Tok::kMinus, b);
      case '*': return make(Tok::kStar, b);
      case '/': return make(Tok::kSlash, b);
      case '<':
        if (peek() == '=') { ++pos_; return make(Tok::kLe, b); }
        return make(Tok::kLt, b);
      case '>':
        if (peek() == '=') { ++pos_; return make(Tok::kGe, b); }
        return make(Tok::kGt, b);
      case '=':
        if (peek() == '=') { ++pos_; return make(Tok::kEq, b); }
        return make(Tok::kAssign, b);
      case '!':
        if (peek() == '=') { ++pos_; return make(Tok::kNe, b); }
        break;
      default: break;
    }
    // A stray character: one UTF-8 sequence.
    while (pos_ < end_ && (static_cast<unsigned char>(s_[pos_]) & 0xC0) == 0x80) ++pos_;
    std::string shown(s_.substr(b, pos_ - b));
    error(b, pos_, "stray character `" + shown + "`",
          c == '!' ? "write `!=` for inequality, or `not` for negation" : "remove it; comments start with `#`");
    return make(Tok::kError, b);
  }

  /// `/s` as a unit: a slash, an `s`, and no identifier character after it.
  bool per_second_follows() const noexcept { return peek() == '/' && peek(1) == 's' && !ident_char(peek(2)); }

  Token number(std::uint32_t b) {
    while (digit(peek())) ++pos_;
    if (peek() == '.' && digit(peek(1))) {
      ++pos_;
      while (digit(peek())) ++pos_;
    }
    double v = 0;
    std::from_chars(s_.data() + b, s_.data() + pos_, v);
    Dim dim;
    if (peek() == '%') {
      ++pos_;
      dim.base = BaseUnit::kPct;
    } else if (ident_start(peek())) {
      const std::uint32_t ub = pos_;
      while (ident_char(peek())) ++pos_;
      const std::string_view u = s_.substr(ub, pos_ - ub);
      const auto it = std::find_if(kUnits.begin(), kUnits.end(), [&](const UnitSpec& x) { return x.text == u; });
      if (it == kUnits.end()) {
        error(b, pos_, "number with an unknown unit `" + std::string(u) + "`",
              "units are " + std::string(kUnitList) + "; units are case-sensitive");
        return make(Tok::kError, b);
      }
      dim.base = it->base;
      v *= it->factor;
    }
    if (per_second_follows()) {
      pos_ += 2;
      dim.per_s = 1;
    }
    Token t = make(Tok::kNumber, b);
    t.number = v;
    t.dim = dim;
    return t;
  }

  Token string(std::uint32_t b) {
    ++pos_;
    std::string value;
    while (pos_ < end_ && s_[pos_] != '"' && s_[pos_] != '\n') {
      char c = s_[pos_++];
      if (c == '\\') {
        const char e = peek();
        if (e == '"' || e == '\\') {
          value += e;
        } else if (e == 'n') {
          value += '\n';
        } else if (e == 't') {
          value += '\t';
        } else {
          error(pos_ - 1, pos_ + 1, std::string("unknown escape `\\") + e + "` in string",
                "escapes are \\\", \\\\, \\n and \\t");
        }
        if (pos_ < end_ && e != '\n') ++pos_;
        continue;
      }
      value += c;
    }
    if (pos_ >= end_ || s_[pos_] != '"') {
      error(b, pos_, "unterminated string", "close the string with `\"` on the same line");
      return make(Tok::kError, b);
    }
    ++pos_;
    Token t = make(Tok::kString, b);
    t.value = std::move(value);
    return t;
  }

  const SourceFile& f_;
  std::string_view s_;
  std::vector<Diagnostic>& diags_;
  std::uint32_t pos_;
  std::uint32_t end_;
  std::uint32_t line_ = 1;
  std::uint32_t line_begin_ = 0;
  std::uint32_t last_line_ = 0;
};

}  // namespace

std::string_view tok_name(Tok t) noexcept {
  switch (t) {
    case Tok::kEof: return "end of file";
    case Tok::kError: return "bad token";
    case Tok::kIdent: return "identifier";
    case Tok::kNumber: return "number";
    case Tok::kString: return "string";
    case Tok::kLBrace: return "`{`";
    case Tok::kRBrace: return "`}`";
    case Tok::kLBracket: return "`[`";
    case Tok::kRBracket: return "`]`";
    case Tok::kLParen: return "`(`";
    case Tok::kRParen: return "`)`";
    case Tok::kComma: return "`,`";
    case Tok::kColon: return "`:`";
    case Tok::kAssign: return "`=`";
    case Tok::kDot: return "`.`";
    case Tok::kLt: return "`<`";
    case Tok::kLe: return "`<=`";
    case Tok::kGt: return "`>`";
    case Tok::kGe: return "`>=`";
    case Tok::kEq: return "`==`";
    case Tok::kNe: return "`!=`";
    case Tok::kPlus: return "`+`";
    case Tok::kMinus: return "`-`";
    case Tok::kStar: return "`*`";
    case Tok::kSlash: return "`/`";
  }
  return "?";
}

std::string Token::describe() const {
  switch (kind) {
    case Tok::kEof: return "end of file";
    case Tok::kIdent:
    case Tok::kNumber:
    case Tok::kString: return "`" + std::string(text) + "`";
    default: return std::string(tok_name(kind));
  }
}

std::vector<Token> lex(const SourceFile& file, std::vector<Diagnostic>& diags, std::uint32_t begin, std::uint32_t end) {
  return Lexer(file, diags, begin, end).run();
}

}  // namespace callroot::rules
