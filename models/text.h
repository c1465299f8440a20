#pragma once
/// Text that came from outside (records, rule files, configuration) checked
/// and made safe to show: UTF-8 validation, and escaping for log lines so
/// that input can never start a line of its own or drive a terminal.

#include <cstddef>
#include <string>
#include <string_view>

namespace callroot {

/// `s` without leading and trailing white space (ASCII, as isspace in the C locale).
[[nodiscard]] std::string_view trim(std::string_view s) noexcept;

/// Offset of the first byte that does not begin or continue a well-formed
/// UTF-8 sequence (overlong forms, surrogates and code points past U+10FFFF
/// count as ill-formed), or `std::string_view::npos` when `text` is valid.
[[nodiscard]] std::size_t first_invalid_utf8(std::string_view text) noexcept;

/// Whether `text` would change under escape_for_log().
[[nodiscard]] bool needs_log_escape(std::string_view text) noexcept;

/// `text` with every control character written out: `\n`, `\r`, `\t`, `\\`
/// and `\xNN` for the other C0 bytes, DEL and each byte that is not UTF-8;
/// `\u0080`..`\u009f` for the C1 controls (a terminal may read U+009B as
/// CSI). Everything else, including other non-ASCII text, is kept.
[[nodiscard]] std::string escape_for_log(std::string_view text);

/// `text` safe inside HTML or XML text and attribute values: `&`, `<`, `>`,
/// `"` and `'` as character references.
[[nodiscard]] std::string escape_markup(std::string_view text);

}  // namespace callroot
