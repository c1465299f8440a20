#include "ingest/tcp_reassembly.h"

#include <algorithm>

#include "ingest/pcap_reader.h"

namespace callroot::ingest {

void TcpStream::on_segment(std::uint32_t seq, std::uint8_t flags, const std::uint8_t* data, std::uint32_t len,
                           TcpSink& sink, std::uint32_t missing) {
  ++counters_.segments;
  if (finished_) return;
  if (!started_) {
    started_ = true;
    if ((flags & kTcpSyn) != 0) {
      base_ = seq + 1;  // the SYN takes one sequence number
    } else {
      base_ = seq;
      midstream_ = true;
    }
  }
  // Where this segment's data starts, relative to base_: sequence numbers wrap
  // at 2^32, so the distance to the next expected byte is taken as signed.
  const std::uint32_t next_seq = base_ + static_cast<std::uint32_t>(next_);
  std::uint32_t data_seq = (flags & kTcpSyn) != 0 ? seq + 1 : seq;
  const auto delta = static_cast<std::int32_t>(data_seq - next_seq);
  const std::int64_t offset = static_cast<std::int64_t>(next_) + delta;
  if ((flags & kTcpFin) != 0 && offset + len + missing >= 0 && !have_fin_) {
    have_fin_ = true;
    fin_at_ = static_cast<std::uint64_t>(offset) + len + missing;
  }
  if (data == nullptr) len = 0;
  if (len + missing > 0) {
    if (offset + static_cast<std::int64_t>(len + missing) <= static_cast<std::int64_t>(next_)) {
      counters_.retransmitted_bytes += len;
    } else if (offset <= static_cast<std::int64_t>(next_)) {
      const std::uint64_t skip = offset < 0 ? std::min<std::uint64_t>(len, static_cast<std::uint64_t>(-offset)) : 0;
      deliver(static_cast<std::uint64_t>(std::max<std::int64_t>(offset, 0)), data + skip, len - skip, sink);
      if (missing > 0 && offset >= 0 && next_ == static_cast<std::uint64_t>(offset) + len) {
        // The rest of this segment was not captured: nothing will fill it.
        ++counters_.gaps;
        counters_.gap_bytes += missing;
        sink.on_gap(missing);
        next_ += missing;
      }
      drain(sink);
    } else if (len > 0) {
      // Ahead of a hole: wait, in offset order, within the bounds.
      ++counters_.out_of_order;
      const auto at = static_cast<std::uint64_t>(offset);
      auto pos = std::lower_bound(pending_.begin(), pending_.end(), at,
                                  [](const Pending& p, std::uint64_t o) { return p.offset < o; });
      pending_.insert(pos, Pending{at, std::vector<std::uint8_t>(data, data + len)});
      buffered_ += len;
      while (!pending_.empty() &&
             (buffered_ > options_.max_buffered_bytes || pending_.size() > options_.max_buffered_segments)) {
        give_up_hole(sink);
      }
    }
  }
  if ((flags & kTcpRst) != 0) {
    close(sink);
    return;
  }
  if (have_fin_ && next_ >= fin_at_) close(sink);
}

void TcpStream::deliver(std::uint64_t offset, const std::uint8_t* data, std::uint64_t len, TcpSink& sink) {
  if (offset + len <= next_) {
    counters_.retransmitted_bytes += len;
    return;
  }
  if (offset < next_) {
    const std::uint64_t skip = next_ - offset;
    counters_.retransmitted_bytes += skip;
    data += skip;
    len -= skip;
  }
  next_ += len;
  counters_.bytes += len;
  sink.on_data(data, len);
}

void TcpStream::drain(TcpSink& sink) {
  std::size_t used = 0;
  while (used < pending_.size() && pending_[used].offset <= next_) {
    const auto& p = pending_[used];
    buffered_ -= p.bytes.size();
    deliver(p.offset, p.bytes.data(), p.bytes.size(), sink);
    ++used;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(used));
}

void TcpStream::give_up_hole(TcpSink& sink) {
  const std::uint64_t missing = pending_.front().offset - next_;
  ++counters_.gaps;
  counters_.gap_bytes += missing;
  sink.on_gap(missing);
  next_ = pending_.front().offset;
  drain(sink);
}

void TcpStream::close(TcpSink& sink) {
  if (finished_) return;
  while (!pending_.empty()) give_up_hole(sink);
  finished_ = true;
}

}  // namespace callroot::ingest
