#pragma once
/// `callroot rtp FILE... [--json]`: per-stream RTP figures of capture files,
/// equal to tshark 4.0's `-n -o rtp.heuristic_rtp:TRUE -q -z rtp,streams`
/// (see ingest/rtp_meter.h). Each file is metered on its own, as tshark would.

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "ingest/rtp_meter.h"

namespace callroot::cli {

struct RtpCommandOptions {
  std::vector<std::string> files;
  bool json = false;
  ingest::RtpMeterOptions meter;
};

/// Prints a table like tshark's (or, with `json`, one JSON object per stream
/// per line) to `out`. Exit 0; 2 when a file cannot be opened or read
/// completely (the streams read before a read error are still printed).
int run_rtp(const RtpCommandOptions& options, std::ostream& out, std::shared_ptr<spdlog::logger> log);

/// The same to stdout with tshark's defaults.
int run_rtp(const std::vector<std::string>& files, bool json, std::shared_ptr<spdlog::logger> log);

/// One stream as a JSON object (no newline). Fields: file, ssrc ("0x58F33DEA",
/// upper-case hex as tshark prints it), ssrc_int (the same as a number), src,
/// dst ("ip:port", IPv6 as "[ip]:port"), payload_type (the first seen),
/// payload (names of all seen), clock_rate (0: no jitter computed, as tshark),
/// packets, expected, lost, lost_pct, seq_errors, late_or_duplicate, start_s,
/// end_s, min/mean/max_delta_ms, min/mean/max_jitter_ms, problem, and `rtcp`
/// (fraction_lost, cumulative_lost, jitter_ms, rtt_ms, reports,
/// sender_reports) when RTCP reports about the stream were seen.
std::string rtp_stream_json(const ingest::RtpStream& s, const std::string& file);

}  // namespace callroot::cli
