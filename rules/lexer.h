#pragma once
/// The lexer of the rule language: identifiers, quantities (normalized to a
/// base unit as they are read: `1.5s` is 1500 ms, `10Mbps` is 10000 kbps),
/// strings, punctuation. Bad tokens (unterminated string, stray character,
/// unknown unit) become E020 diagnostics and an kError token; lexing goes on.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/diagnostic.h"
#include "rules/source.h"
#include "rules/types.h"

namespace callroot::rules {

enum class Tok : std::uint8_t {
  kEof,
  kError,
  kIdent,
  kNumber,
  kString,
  kLBrace, kRBrace, kLBracket, kRBracket, kLParen, kRParen,
  kComma, kColon, kAssign, kDot,
  kLt, kLe, kGt, kGe, kEq, kNe,
  kPlus, kMinus, kStar, kSlash,
};
std::string_view tok_name(Tok t) noexcept;  ///< "identifier", "`{`", ...

struct Token {
  Tok kind = Tok::kEof;
  SourceRange range;
  std::uint32_t offset = 0;      ///< byte offset of the first character
  std::uint32_t end_offset = 0;  ///< one past the last
  bool line_start = false;       ///< first token of its line
  std::string_view text;         ///< the source text of the token
  double number = 0;             ///< kNumber: the value in the base unit
  Dim dim;                       ///< kNumber
  std::string value;             ///< kString: the decoded string
  /// How the token reads in "found X": "`rule`", "end of file", "string \"a\"".
  [[nodiscard]] std::string describe() const;
};

/// Lexes [begin, end) of `file` (the whole file by default) into tokens,
/// ending with kEof. E020 diagnostics go to `diags`.
std::vector<Token> lex(const SourceFile& file, std::vector<Diagnostic>& diags, std::uint32_t begin = 0,
                       std::uint32_t end = UINT32_MAX);

}  // namespace callroot::rules
