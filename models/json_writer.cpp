#include "models/json_writer.h"

#include <cstdio>

#include "models/time.h"

namespace callroot {

std::string format_number(double v, int max_decimals) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%.*f", max_decimals, v);
  if (n <= 0) return "0";
  if (static_cast<std::size_t>(n) >= sizeof buf) {
    // %f of a huge magnitude does not fit (1e300 has 301 digits): use the shortest exact form.
    n = std::snprintf(buf, sizeof buf, "%.17g", v);
    return std::string(buf, static_cast<std::size_t>(n));
  }
  std::string s(buf, static_cast<std::size_t>(n));
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") return "0";
  return s;
}

JsonWriter& JsonWriter::value(double v, int max_decimals) {
  sep();
  out_ += format_number(v, max_decimals);
  return *this;
}

JsonWriter& JsonWriter::time(std::int64_t ms) {
  sep();
  char buf[32];
  const std::size_t n = format_rfc3339(ms, buf);
  out_ += '"';
  out_.append(buf, n);
  out_ += '"';
  return *this;
}

void JsonWriter::write_string(std::string_view s) {
  out_ += '"';
  for (const char c : s) {
    switch (c) {
      case '"': out_ += "\\\""; break;
      case '\\': out_ += "\\\\"; break;
      case '\n': out_ += "\\n"; break;
      case '\r': out_ += "\\r"; break;
      case '\t': out_ += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out_ += buf;
        } else {
          out_ += c;
        }
    }
  }
  out_ += '"';
}

}  // namespace callroot
