#pragma once
/// The simdjson DOM machinery that the document decoders (cloud_decoder.cpp,
/// teamwork_decoder.cpp) share: opening a document, with or without its JSON
/// Lines envelope; tracking the path of the value being read; and turning
/// what cannot be read into a rejection or a warning that names the field.
///
/// Internal to ingest/: it exposes simdjson's DOM types, which the public
/// decoder headers keep out of their users' way.

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ingest/reject.h"
#include "models/ascii.h"  // ascii_iequals: Graph and Zoom enumerations come in any case
#include "models/net.h"
#include "models/text.h"  // trim

namespace callroot::ingest::detail {

namespace dom = simdjson::dom;

// ---- text -----------------------------------------------------------------------

/// "an array", "a number", ...: a JSON type as messages name it.
std::string_view type_name(dom::element_type t) noexcept;

/// Enumeration values that mean "not reported" in Graph and Zoom: "",
/// `unknown` and `unknownFutureValue`.
bool is_unknown_enum(std::string_view s) noexcept;

/// `"<s>" is not an RFC 3339 timestamp`, the words every decoder uses for a bad time.
std::string not_a_timestamp(std::string_view s);

/// A client MAC address as a cloud service reports it (`s` is trimmed first).
/// Empty text, all zeros of any length (Microsoft's example has an 8-byte
/// `00-00-00-00-00-00-00-00`) and the privacy placeholder 02:00:00:00:00:00
/// identify nobody: nullopt with ok = true. Text that is not a MAC is nullopt
/// with ok = false, for the caller to warn about in its own words.
std::optional<Mac> identifying_mac(std::string_view s, bool& ok);

// ---- paths ----------------------------------------------------------------------

/// Appends `.key` or `[index]` to a path for as long as it lives, so that a
/// message names the value being read (`sessions[0].segments[2].id`).
/// Cheap enough for documents, which are rare.
class PathScope {
 public:
  PathScope(std::string& path, std::string_view key);
  PathScope(std::string& path, std::size_t index);
  ~PathScope() { path_.resize(size_); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

 private:
  std::string& path_;
  std::size_t size_;
};

// ---- large documents, piece by piece ------------------------------------------------

/// Where the elements of one array field of a large document lie, found
/// without building its DOM: simdjson's DOM costs about 13 bytes per byte of
/// input (a 58 MB page, 0.8 GB), while one element at a time costs what the
/// largest element does.
struct ArraySplit {
  std::size_t open = 0;   ///< offset of the array's `[`
  std::size_t close = 0;  ///< offset of its `]`
  std::vector<std::pair<std::size_t, std::size_t>> elements;  ///< [begin, end) of each element
  bool in_body = false;  ///< the array is the envelope body's
  /// kNotArray: what the field holds instead (an object, a string...).
  dom::element_type other = dom::element_type::NULL_VALUE;
};

/// kNoArray: the field is absent or null; kNotArray: it holds another type;
/// kNotObject: the document is not an object (ArraySplit::other says what).
enum class SplitResult : std::uint8_t { kFound, kNoArray, kNotArray, kNotObject, kMalformed };

/// Finds the array `key` of the document's top object, or of its `body`
/// object when the top is an envelope whose `type` is `envelope_type` (as
/// DomReader::open_document reads it), and the bounds of its elements. Only
/// the structure is checked (brackets, quotes, commas, colons): the caller
/// parses the document without the array's elements (`[` ... `]` emptied)
/// and each element on its own, which checks the rest. Unless found, says
/// why in `error` (with the byte offset when malformed).
SplitResult split_array_field(std::string_view json, std::string_view key, std::string_view envelope_type,
                              ArraySplit& out, std::string& error);

// ---- documents --------------------------------------------------------------------

/// An opened document: the object to decode and, when the input was a JSON
/// Lines envelope, the envelope itself (for the fields a collector may add).
struct DomDocument {
  dom::object body;
  std::optional<dom::object> envelope;
};

/// The state of decoding one document at a time: the parser (whose buffers
/// are reused from one document to the next), the path of the value being
/// read, and where its rejection and warnings go. A decoder's Impl derives
/// from it and reads its document with these helpers.
class DomReader {
 public:
  struct Limits {
    std::size_t max_document_bytes;
    std::size_t max_warnings;  ///< the rest are counted in warnings_dropped()
  };

  /// `error` and `warnings` belong to the public decoder, which hands them
  /// out. `warning_suffix` ends every warning: a decoder whose unreadable
  /// values all meet the same fate says it once here ("; taken as not
  /// measured"); one that treats them in different ways passes "" and says
  /// it in each warning. It is kept as a view: pass a literal.
  DomReader(Limits limits, std::string_view warning_suffix, DecodeError& error, std::vector<std::string>& warnings)
      : limits_(limits), warning_suffix_(warning_suffix), error_(error), warnings_(warnings) {}

  DomReader(const DomReader&) = delete;
  DomReader& operator=(const DomReader&) = delete;

  /// Starts a document (no path, no warnings) and parses `json`: rejected
  /// when larger than the limit, not JSON or not an object. A string `type`
  /// at the top that names one of `envelope_types` makes it the envelope
  /// `{"type":...,"body":{...}}`, whose type must then be `expected` and whose
  /// body must be an object; anything else is the document itself (the
  /// caller makes sure that its documents' own `type`, if any, cannot be taken
  /// for a record type). `padded`: SIMDJSON_PADDING readable bytes follow
  /// `json`. The path is left at the top, for the envelope's own fields; the
  /// caller sets it to "body" before it reads an enveloped body.
  std::optional<DomDocument> open_document(std::string_view json, bool padded,
                                           std::span<const std::string_view> envelope_types, std::string_view expected);
  /// Starts a document of `bytes` (no path, no warnings): false, rejected as
  /// too large, beyond the limit. open_document starts with it.
  bool start_document(std::size_t bytes);

  /// Parses one value of the current document (a piece of a large one, see
  /// ArraySplit) without starting a new document: the path and warnings
  /// carry on. The previous value's DOM is gone. Rejects what is not JSON.
  bool parse_value(std::string_view json, bool padded, dom::element& root);

  /// Gives back the parser's buffers when a large document grew them, so
  /// that one large document does not pin its size in memory for good.
  void release_large_buffers();

  /// Warnings of the document beyond Limits::max_warnings.
  [[nodiscard]] std::size_t warnings_dropped() const noexcept { return dropped_; }

  // ---- where we are -------------------------------------------------------------

  /// The path of the value being read, for messages ("" at the top).
  std::string path;

  /// The path of `key` in the current object (the current path when empty).
  [[nodiscard]] std::string here(std::string_view key = {}) const;

  // ---- rejections: each returns false, for `return fail(...)` ------------------------

  bool fail(RejectReason r, std::string detail);
  /// ``field `<path>.key`: <what>``.
  bool fail_at(RejectReason r, std::string_view key, std::string_view what);
  /// ``field `<path>.key` is required``, then ` (<why>)` when given.
  bool missing(std::string_view key, std::string_view why = {});
  /// ``the document is <a JSON type>, not an object``.
  bool not_object(dom::element_type got);
  /// ``field `<path>.key`: expected <expected>, got <a JSON type>``.
  bool wrong_type(std::string_view key, std::string_view expected, dom::element_type got);

  // ---- warnings: the value is not used, the document is -------------------------

  /// `<path>.key: <what><warning_suffix>`, kept while fewer than max_warnings.
  void warn(std::string_view key, std::string_view what);
  /// `expected <expected>, got <a JSON type><outcome>`, as a warning.
  void warn_type(std::string_view key, std::string_view expected, dom::element_type got, std::string_view outcome = {});

  // ---- values -------------------------------------------------------------------

  /// The value of `key`, or nullopt when absent or null (JSON null is the same
  /// as an absent field).
  static std::optional<dom::element> field(dom::object obj, std::string_view key);

  /// A structural array: absent/null -> nullopt; another type rejects the document.
  bool array_field(dom::object obj, std::string_view key, std::optional<dom::array>& out);

  /// A string leaf; absent, null and "" -> empty. Another type is warned
  /// about (with `outcome` after the type) and read as empty.
  std::string_view text(dom::object obj, std::string_view key, std::string_view outcome = {});

 private:
  Limits limits_;
  std::string_view warning_suffix_;
  DecodeError& error_;
  std::vector<std::string>& warnings_;
  std::size_t dropped_ = 0;
  dom::parser parser_;
};

/// Runs `decode` (a callable returning bool) and returns its result. The
/// decoders use error codes throughout: the only exception they can meet is
/// an allocation failure, which this turns into a rejection instead of
/// letting it escape.
template <class Decode>
bool without_exceptions(DecodeError& error, Decode&& decode) {
  try {
    return decode();
  } catch (const std::exception& e) {
    error.reason = RejectReason::kTooLarge;
    error.detail = std::string("out of memory while decoding: ") + e.what();
    return false;
  }
}

}  // namespace callroot::ingest::detail
