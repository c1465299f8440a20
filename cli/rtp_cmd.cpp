#include "cli/rtp_cmd.h"

#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <ostream>
#include <stdexcept>

#include "cli/command.h"
#include "models/json_writer.h"

namespace callroot::cli {

namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

/// A double as JSON: 6 decimals (tshark keeps ms to the microsecond).
std::string num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", v);
  return buf;
}

std::uint8_t first_payload_type(const ingest::RtpStream& s) {
  for (unsigned pt = 0; pt < 128; ++pt) {
    if (s.payload_types.test(pt)) return static_cast<std::uint8_t>(pt);
  }
  return 0;
}

void print_table(const std::string& file, const ingest::CaptureMetering& m, std::ostream& out) {
  out << "========================= RTP Streams ========================  " << file << '\n';
  char line[512];
  std::snprintf(line, sizeof line, "%13s %13s %15s %5s %15s %5s %10s %16s %5s %12s %15s %15s %15s %15s %15s %15s %s\n",
                "Start time", "End time", "Src IP addr", "Port", "Dest IP addr", "Port", "SSRC", "Payload", "Pkts",
                "Lost", "Min Delta(ms)", "Mean Delta(ms)", "Max Delta(ms)", "Min Jitter(ms)", "Mean Jitter(ms)",
                "Max Jitter(ms)", "Problems?");
  out << line;
  for (const auto& s : m.streams) {
    const auto expected = s.expected();
    const double pct = expected != 0 ? static_cast<double>(s.lost() * 100) / static_cast<double>(expected) : 0.0;
    char lost[48];
    std::snprintf(lost, sizeof lost, "%" PRId64 " (%.1f%%)", s.lost(), pct);
    std::snprintf(line, sizeof line,
                  "%13.6f %13.6f %15s %5u %15s %5u 0x%08X %16s %5u %12s %15.3f %15.3f %15.3f %15.3f %15.3f %15.3f %s\n",
                  s.start_ms / 1000, s.last_ms / 1000, s.key.src.ip.str().c_str(), s.key.src.port,
                  s.key.dst.ip.str().c_str(), s.key.dst.port, s.key.ssrc, s.payload_names().c_str(), s.packets, lost,
                  s.min_delta, s.mean_delta, s.max_delta, s.min_jitter, s.mean_jitter, s.max_jitter,
                  s.problem ? "X" : "");
    out << line;
  }
  out << "==============================================================\n";
}

}  // namespace

std::string rtp_stream_json(const ingest::RtpStream& s, const std::string& file) {
  char ssrc[16];
  std::snprintf(ssrc, sizeof ssrc, "0x%08X", s.key.ssrc);
  const auto expected = s.expected();
  const double pct = expected != 0 ? static_cast<double>(s.lost() * 100) / static_cast<double>(expected) : 0.0;
  std::string o = "{\"schema_version\":" + std::to_string(kJsonSchemaVersion) + ",\"file\":\"" + json_escape(file) + "\",\"ssrc\":\"" + ssrc +
                  "\",\"ssrc_int\":" + std::to_string(s.key.ssrc) + ",\"src\":\"" + s.key.src.str() +
                  "\",\"dst\":\"" + s.key.dst.str() + "\",\"payload_type\":" + std::to_string(first_payload_type(s)) +
                  ",\"payload\":\"" + json_escape(s.payload_names()) + "\",\"clock_rate\":" +
                  std::to_string(s.clock_rate) + ",\"packets\":" + std::to_string(s.packets) +
                  ",\"expected\":" + std::to_string(expected) + ",\"lost\":" + std::to_string(s.lost()) +
                  ",\"lost_pct\":" + num(pct) + ",\"seq_errors\":" + std::to_string(s.seq_errors) +
                  ",\"late_or_duplicate\":" + std::to_string(s.late_or_duplicate) +
                  ",\"start_s\":" + num(s.start_ms / 1000) + ",\"end_s\":" + num(s.last_ms / 1000) +
                  ",\"min_delta_ms\":" + num(s.min_delta) + ",\"mean_delta_ms\":" + num(s.mean_delta) +
                  ",\"max_delta_ms\":" + num(s.max_delta) + ",\"min_jitter_ms\":" + num(s.min_jitter) +
                  ",\"mean_jitter_ms\":" + num(s.mean_jitter) + ",\"max_jitter_ms\":" + num(s.max_jitter) +
                  ",\"problem\":" + (s.problem ? "true" : "false");
  if (s.rtcp.reports > 0 || s.rtcp.sender_reports > 0) {
    o += ",\"rtcp\":{\"reports\":" + std::to_string(s.rtcp.reports) +
         ",\"sender_reports\":" + std::to_string(s.rtcp.sender_reports);
    if (s.rtcp.reports > 0) {
      o += ",\"fraction_lost\":" + num(s.rtcp.fraction_lost) +
           ",\"cumulative_lost\":" + std::to_string(s.rtcp.cumulative_lost) +
           ",\"jitter_units\":" + std::to_string(s.rtcp.jitter_units) +
           ",\"jitter_ms\":" + (s.rtcp.jitter_ms >= 0 ? num(s.rtcp.jitter_ms) : "null") +
           ",\"rtt_ms\":" + (s.rtcp.rtt_ms >= 0 ? num(s.rtcp.rtt_ms) : "null");
    }
    o += '}';
  }
  o += '}';
  return o;
}

int run_rtp(const RtpCommandOptions& options, std::ostream& out, std::shared_ptr<spdlog::logger> log) {
  int rc = 0;
  for (const auto& file : options.files) {
    ingest::CaptureMetering m;
    try {
      m = ingest::meter_capture(file, options.meter);
    } catch (const std::exception& e) {
      if (log) log->error("{}", e.what());
      rc = 2;
      continue;
    }
    if (!m.error.empty()) {
      if (log) log->error("{}: {} (after {} frames; the streams before it are shown)", file, m.error, m.packets.frames);
      rc = 2;
    }
    if (log) {
      for (std::size_t i = 0; i < ingest::kPacketIssueCount; ++i) {
        if (m.packets.issues[i] == 0) continue;
        const auto issue = static_cast<ingest::PacketIssue>(i);
        // Other protocols are normal in a capture; cut or malformed frames are worth a line.
        const bool normal = issue == ingest::PacketIssue::kNotIp || issue == ingest::PacketIssue::kNotUdp;
        log->log(normal ? spdlog::level::debug : spdlog::level::info, "{}: {} frames {} ({})", file,
                 m.packets.issues[i], ingest::code(issue), ingest::description(issue));
      }
    }
    if (options.json) {
      for (const auto& s : m.streams) out << rtp_stream_json(s, file) << '\n';
    } else {
      print_table(file, m, out);
    }
  }
  out.flush();
  return rc;
}

int run_rtp(const std::vector<std::string>& files, bool json, std::shared_ptr<spdlog::logger> log) {
  RtpCommandOptions options;
  options.files = files;
  options.json = json;
  return run_rtp(options, std::cout, std::move(log));
}

}  // namespace callroot::cli

namespace callroot::cli {
namespace {

class RtpCommand final : public Command {
 public:
  explicit RtpCommand(CLI::App& parent)
      : Command(parent.add_subcommand("rtp", "Per-stream RTP figures of pcap/pcapng files, as tshark -z rtp,streams")) {
    app_->add_option("files", files_, "Capture files (.pcap, .pcapng)")->required()->check(CLI::ExistingFile);
    app_->add_flag("--json", json_, "One JSON object per stream per line");
  }
  int run(std::shared_ptr<spdlog::logger> log) override { return run_rtp(files_, json_, log); }

 private:
  std::vector<std::string> files_;
  bool json_ = false;
};

}  // namespace

CommandPtr add_rtp_command(CLI::App& parent) { return std::make_unique<RtpCommand>(parent); }

}  // namespace callroot::cli
