#include "runtime/jetstream.h"

#include "runtime/site_router.h"

#include <nats/nats.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>

namespace callroot::runtime {
namespace {

/// What libnats says went wrong, for a message that also says what was being done.
std::string reason(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* raw = nats_GetLastError(&last);
  std::string out = natsStatus_GetText(s);
  std::string_view text = raw != nullptr ? raw : "";
  // The client prefixes where in its sources it noticed: "(conn.c:2088): ".
  if (text.starts_with('(')) {
    if (const auto end = text.find("): "); end != std::string_view::npos) text.remove_prefix(end + 3);
  }
  if (!text.empty() && text != out) out += ": " + std::string(text);
  return out;
}

[[noreturn]] void fail(const std::string& what, natsStatus s, jsErrCode code = static_cast<jsErrCode>(0)) {
  std::string message = "nats: " + what + ": " + reason(s);
  if (code != 0) message += " (JetStream error " + std::to_string(static_cast<int>(code)) + ")";
  throw JetStreamError(message);
}

void check(natsStatus s, const std::string& what, jsErrCode code = static_cast<jsErrCode>(0)) {
  if (s != NATS_OK) fail(what, s, code);
}

std::int64_t nanoseconds(std::chrono::nanoseconds d) { return static_cast<std::int64_t>(d.count()); }

/// A write that lost a compare-and-set (the key exists, or moved on).
bool lost_race(natsStatus s) {
  natsStatus last = NATS_OK;
  const char* text = nats_GetLastError(&last);
  return s == NATS_ERR && text != nullptr && std::string_view(text).find("wrong last sequence") != std::string_view::npos;
}

}  // namespace

// ---- messages ---------------------------------------------------------------

JetStreamMessage::JetStreamMessage(natsMsg* msg) : msg_(msg) {
  jsMsgMetaData* meta = nullptr;
  if (natsMsg_GetMetaData(&meta, msg_) == NATS_OK) {
    stream_seq_ = meta->Sequence.Stream;
    timestamp_ns_ = meta->Timestamp;
    pending_ = meta->NumPending;
    jsMsgMetaData_Destroy(meta);
  }
}

JetStreamMessage::~JetStreamMessage() {
  if (msg_ != nullptr) natsMsg_Destroy(msg_);
}

JetStreamMessage::JetStreamMessage(JetStreamMessage&& other) noexcept
    : msg_(other.msg_), stream_seq_(other.stream_seq_), timestamp_ns_(other.timestamp_ns_), pending_(other.pending_) {
  other.msg_ = nullptr;
}

JetStreamMessage& JetStreamMessage::operator=(JetStreamMessage&& other) noexcept {
  if (this != &other) {
    if (msg_ != nullptr) natsMsg_Destroy(msg_);
    msg_ = other.msg_;
    stream_seq_ = other.stream_seq_;
    timestamp_ns_ = other.timestamp_ns_;
    pending_ = other.pending_;
    other.msg_ = nullptr;
  }
  return *this;
}

std::string_view JetStreamMessage::subject() const noexcept { return natsMsg_GetSubject(msg_); }

std::string_view JetStreamMessage::data() const noexcept {
  return {natsMsg_GetData(msg_), static_cast<std::size_t>(natsMsg_GetDataLength(msg_))};
}

void JetStreamMessage::ack() const { check(natsMsg_Ack(msg_, nullptr), "acknowledging stream message " + std::to_string(stream_seq_)); }

// ---- consumers --------------------------------------------------------------

PullConsumer::~PullConsumer() {
  if (sub_ != nullptr) natsSubscription_Destroy(sub_);
}

std::vector<JetStreamMessage> PullConsumer::fetch(int batch, std::chrono::milliseconds timeout) {
  // A pull request is answered when its batch is full or it expires, so a
  // request for more than is there waits out its expiry. Ask for what is
  // known to be there (a full batch comes at once); when nothing is, for
  // one message (it comes as soon as there is one). A request the client
  // stops waiting for before the server expires it leaves a stale "request
  // timeout" that libnats 3.4 takes for the next request's: so no request
  // is made with less than kShortest to wait.
  constexpr std::chrono::milliseconds kShortest{50};
  if (pending_ == 0 && timeout < kShortest && refresh_pending() == 0) return {};
  std::vector<JetStreamMessage> out;
  const bool there = pending_ > 0;
  const int ask = there ? static_cast<int>(std::min<std::uint64_t>(pending_, static_cast<std::uint64_t>(batch))) : 1;
  natsMsgList list{};
  jsErrCode code{};
  const auto wait = there ? std::max(timeout, std::chrono::milliseconds(2000)) : timeout;
  const natsStatus s = natsSubscription_Fetch(&list, sub_, ask, wait.count(), &code);
  if (s == NATS_TIMEOUT) return out;  // nothing came
  check(s, "fetching messages", code);
  // libnats 3.4.1 was seen (under AddressSanitizer) to report one message
  // more than the `batch` its list has room for: never read, nor let it
  // free, past the room it made.
  const int count = std::min(list.Count, ask);
  out.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    out.emplace_back(list.Msgs[i]);
    list.Msgs[i] = nullptr;  // ours now
  }
  list.Count = count;
  natsMsgList_Destroy(&list);
  if (!out.empty()) pending_ = out.back().pending();
  return out;
}

std::uint64_t PullConsumer::refresh_pending() {
  jsConsumerInfo* ci = nullptr;
  jsErrCode code{};
  check(natsSubscription_GetConsumerInfo(&ci, sub_, nullptr, &code), "reading the consumer", code);
  pending_ = ci->NumPending;
  jsConsumerInfo_Destroy(ci);
  return pending_;
}

// ---- key-value --------------------------------------------------------------

KeyValue::~KeyValue() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

std::optional<KeyValueEntry> KeyValue::get(const std::string& key) const {
  kvEntry* e = nullptr;
  const natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  if (s == NATS_NOT_FOUND) return std::nullopt;
  check(s, "reading key " + key);
  KeyValueEntry out{std::string(static_cast<const char*>(kvEntry_Value(e)), static_cast<std::size_t>(kvEntry_ValueLen(e))),
                    kvEntry_Revision(e)};
  kvEntry_Destroy(e);
  return out;
}

std::uint64_t KeyValue::put(const std::string& key, std::string_view value) {
  std::uint64_t rev = 0;
  check(kvStore_Put(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size())), "writing key " + key);
  return rev;
}

std::optional<std::uint64_t> KeyValue::create(const std::string& key, std::string_view value) {
  std::uint64_t rev = 0;
  const natsStatus s = kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
  if (s == NATS_OK) return rev;
  if (lost_race(s)) return std::nullopt;
  fail("creating key " + key, s);
}

std::optional<std::uint64_t> KeyValue::update(const std::string& key, std::string_view value, std::uint64_t revision) {
  std::uint64_t rev = 0;
  const natsStatus s = kvStore_Update(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()), revision);
  if (s == NATS_OK) return rev;
  if (lost_race(s)) return std::nullopt;
  fail("updating key " + key, s);
}

void KeyValue::erase(const std::string& key) { check(kvStore_Delete(kv_, key.c_str()), "deleting key " + key); }

std::vector<std::string> KeyValue::keys() const {
  kvKeysList list{};
  const natsStatus s = kvStore_Keys(&list, kv_, nullptr);
  if (s == NATS_NOT_FOUND) return {};  // an empty bucket
  check(s, "listing keys");
  std::vector<std::string> out(list.Keys, list.Keys + list.Count);
  kvKeysList_Destroy(&list);
  return out;
}

namespace {

/// The head of a large value: how many pieces, how long the whole, under which generation.
constexpr const char* kLargeHead = "callroot-large-value 1 pieces %llu bytes %llu generation %llu";
struct LargeHead {
  unsigned long long pieces = 0, bytes = 0, generation = 0;
};

std::string format_head(const LargeHead& h) {
  char buf[128];
  std::snprintf(buf, sizeof buf, kLargeHead, h.pieces, h.bytes, h.generation);
  return buf;
}

std::optional<LargeHead> parse_head(const std::string& text) {
  LargeHead h;
  if (std::sscanf(text.c_str(), kLargeHead, &h.pieces, &h.bytes, &h.generation) != 3) return std::nullopt;
  return h;
}

std::string piece_key(const std::string& key, unsigned long long generation, unsigned long long i) {
  return key + "." + std::to_string(generation) + "." + std::to_string(i);
}

}  // namespace

void KeyValue::put_large(const std::string& key, std::string_view value, std::size_t piece_bytes) {
  // Pieces go under a generation of their own, so the whole being replaced
  // stays readable until `key` itself moves to the new one.
  const auto previous = get(key);
  const auto old = previous ? parse_head(previous->value) : std::nullopt;
  LargeHead head;
  head.pieces = value.empty() ? 0 : (value.size() + piece_bytes - 1) / piece_bytes;
  head.bytes = value.size();
  head.generation = previous ? previous->revision + 1 : 1;
  for (unsigned long long i = 0; i < head.pieces; ++i) put(piece_key(key, head.generation, i), value.substr(i * piece_bytes, piece_bytes));
  put(key, format_head(head));
  if (old) {
    for (unsigned long long i = 0; i < old->pieces; ++i) kvStore_Purge(kv_, piece_key(key, old->generation, i).c_str(), nullptr);
  }
}

std::optional<std::string> KeyValue::get_large(const std::string& key) const {
  const auto entry = get(key);
  const auto head = entry ? parse_head(entry->value) : std::nullopt;
  if (!head) return std::nullopt;
  std::string out;
  out.reserve(head->bytes);
  for (unsigned long long i = 0; i < head->pieces; ++i) {
    const auto piece = get(piece_key(key, head->generation, i));
    if (!piece) return std::nullopt;
    out += piece->value;
  }
  if (out.size() != head->bytes) return std::nullopt;
  return out;
}

std::string key_value_key(std::string_view name) {
  std::string key = subject_token(name);
  std::replace(key.begin(), key.end(), '%', '=');
  return key;
}

// ---- the connection ---------------------------------------------------------

namespace {

/// Failed asynchronous publishes, counted from libnats' callback thread.
struct AsyncFailures {
  std::atomic<std::uint64_t> count{0};
  std::mutex mutex;
  std::string first;
};

void on_async_error(jsCtx* /*js*/, jsPubAckErr* err, void* closure) {
  auto* f = static_cast<AsyncFailures*>(closure);
  if (f->count.fetch_add(1) == 0) {
    const std::lock_guard lock(f->mutex);
    f->first = std::string(natsMsg_GetSubject(err->Msg)) + ": " + (err->ErrText != nullptr ? err->ErrText : natsStatus_GetText(err->Err));
  }
}

}  // namespace

struct JetStreamAsync {
  AsyncFailures failures;
};

JetStream::JetStream(const std::string& url, std::chrono::milliseconds timeout, Writes writes) : async_(std::make_unique<JetStreamAsync>()) {
  natsOptions* opts = nullptr;
  check(natsOptions_Create(&opts), "creating connection options");
  natsOptions_SetURL(opts, url.c_str());
  natsOptions_SetTimeout(opts, timeout.count());
  natsOptions_SetMaxReconnect(opts, 60);
  // Gathered, a record, the pull request that fetches it and its verdict
  // each wait a millisecond or more in libnats' buffers.
  natsOptions_SetSendAsap(opts, writes == Writes::kAtOnce);
  const natsStatus s = natsConnection_Connect(&nc_, opts);
  natsOptions_Destroy(opts);
  check(s, "connecting to " + url);
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout.count();
  jo.PublishAsync.MaxPending = 4096;
  jo.PublishAsync.ErrHandler = on_async_error;
  jo.PublishAsync.ErrHandlerClosure = &async_->failures;
  const natsStatus j = natsConnection_JetStream(&js_, nc_, &jo);
  if (j != NATS_OK) {
    natsConnection_Destroy(nc_);
    fail("opening JetStream on " + url, j);
  }
}

JetStream::~JetStream() {
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) {
    natsConnection_Close(nc_);
    natsConnection_Destroy(nc_);
  }
}

void JetStream::ensure_stream(const StreamSpec& spec) {
  std::vector<const char*> subjects;
  for (const auto& s : spec.subjects) subjects.push_back(s.c_str());
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = spec.name.c_str();
  cfg.Subjects = subjects.data();
  cfg.SubjectsLen = static_cast<int>(subjects.size());
  cfg.Storage = js_FileStorage;
  cfg.MaxAge = nanoseconds(spec.max_age);
  if (spec.duplicate_window.count() > 0) cfg.Duplicates = nanoseconds(spec.duplicate_window);
  jsStreamInfo* si = nullptr;
  jsErrCode code{};
  natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &code);
  if (s != NATS_OK && code == JSStreamNameExistErr) s = js_UpdateStream(&si, js_, &cfg, nullptr, &code);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  check(s, "creating stream " + spec.name, code);
}

StreamState JetStream::state(const std::string& stream, const std::string& filter) const {
  jsOptions o;
  jsOptions_Init(&o);
  if (!filter.empty()) o.Stream.Info.SubjectsFilter = filter.c_str();
  jsStreamInfo* si = nullptr;
  jsErrCode code{};
  check(js_GetStreamInfo(&si, js_, stream.c_str(), &o, &code), "reading stream " + stream, code);
  StreamState out;
  out.last_sequence = si->State.LastSeq;
  out.bytes = si->State.Bytes;
  out.messages = si->State.Msgs;
  if (!filter.empty()) {
    out.messages = 0;
    if (si->State.Subjects != nullptr) {
      for (int i = 0; i < si->State.Subjects->Count; ++i) out.messages += si->State.Subjects->List[i].Msgs;
    }
  }
  jsStreamInfo_Destroy(si);
  return out;
}

bool JetStream::publish(const std::string& subject, std::string_view data, const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  jsPubAck* ack = nullptr;
  jsErrCode code{};
  check(js_Publish(&ack, js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po, &code),
        "publishing to " + subject, code);
  const bool duplicate = ack != nullptr && ack->Duplicate;
  if (ack != nullptr) jsPubAck_Destroy(ack);
  return !duplicate;
}

void JetStream::publish_async(const std::string& subject, std::string_view data, const std::string& msg_id) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  if (!msg_id.empty()) po.MsgId = msg_id.c_str();
  check(js_PublishAsync(js_, subject.c_str(), data.data(), static_cast<int>(data.size()), &po),
        "publishing to " + subject);
}

void JetStream::wait_published(std::chrono::milliseconds timeout) {
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = timeout.count();
  check(js_PublishAsyncComplete(js_, &po), "waiting for the stream to acknowledge what was published");
  AsyncFailures& f = async_->failures;
  if (const std::uint64_t n = f.count.exchange(0); n > 0) {
    const std::lock_guard lock(f.mutex);
    throw JetStreamError("nats: " + std::to_string(n) + " publish(es) failed, the first " + f.first);
  }
}

std::unique_ptr<PullConsumer> JetStream::pull_consumer(const ConsumerSpec& spec) {
  jsSubOptions so;
  jsSubOptions_Init(&so);
  so.Stream = spec.stream.c_str();
  so.Config.AckPolicy = spec.ack_all ? js_AckAll : js_AckExplicit;
  so.Config.AckWait = nanoseconds(spec.ack_wait);
  // Records are acknowledged only when a checkpoint covers them: far more
  // than the server's default of 1,000 may be outstanding.
  so.Config.MaxAckPending = 1 << 24;
  so.Config.FilterSubject = spec.filter.c_str();
  if (spec.durable.empty()) so.Config.InactiveThreshold = nanoseconds(spec.inactive_threshold);
  if (spec.start_sequence > 0) {
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = spec.start_sequence;
  } else if (spec.start_time_ns > 0) {
    so.Config.DeliverPolicy = js_DeliverByStartTime;
    so.Config.OptStartTime = spec.start_time_ns;
  } else {
    so.Config.DeliverPolicy = js_DeliverAll;
  }
  natsSubscription* sub = nullptr;
  jsErrCode code{};
  check(js_PullSubscribe(&sub, js_, spec.filter.c_str(), spec.durable.empty() ? nullptr : spec.durable.c_str(), nullptr,
                         &so, &code),
        "subscribing to " + spec.filter + " of stream " + spec.stream, code);
  return std::unique_ptr<PullConsumer>(new PullConsumer(sub));
}

void JetStream::delete_consumer(const std::string& stream, const std::string& durable) {
  jsErrCode code{};
  const natsStatus s = js_DeleteConsumer(js_, stream.c_str(), durable.c_str(), nullptr, &code);
  if (s != NATS_OK && code != JSConsumerNotFoundErr && s != NATS_NOT_FOUND) {
    fail("deleting consumer " + durable + " of stream " + stream, s, code);
  }
}

std::unique_ptr<KeyValue> JetStream::key_value(const std::string& bucket, std::chrono::milliseconds ttl,
                                               std::int32_t max_value_bytes) {
  kvStore* kv = nullptr;
  natsStatus s = js_KeyValue(&kv, js_, bucket.c_str());
  if (s != NATS_OK) {
    kvConfig cfg;
    kvConfig_Init(&cfg);
    cfg.Bucket = bucket.c_str();
    cfg.History = 1;
    cfg.TTL = nanoseconds(ttl);
    cfg.MaxValueSize = max_value_bytes;
    cfg.StorageType = js_FileStorage;
    s = js_CreateKeyValue(&kv, js_, &cfg);
  }
  check(s, "opening key-value bucket " + bucket);
  return std::unique_ptr<KeyValue>(new KeyValue(kv));
}

}  // namespace callroot::runtime
