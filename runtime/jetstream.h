#pragma once
/// NATS JetStream through libnats (Debian's libnats-dev, the NATS project's
/// own C client): a connection, streams, publishing with de-duplication ids,
/// pull consumers and key-value buckets, as far as callroot uses them
/// (docs/scale-out.md). Every failure throws JetStreamError naming what was
/// being done and the server's or client's reason; nothing here is on the
/// per-record scoring path, only around it.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct __natsConnection;
struct __jsCtx;
struct __natsSubscription;
struct __natsMsg;
struct __kvStore;

namespace callroot::runtime {

struct JetStreamAsync;

class JetStreamError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StreamSpec {
  std::string name;
  std::vector<std::string> subjects;
  std::chrono::seconds max_age{0};           ///< how long messages are kept; 0: for ever
  std::chrono::seconds duplicate_window{0};  ///< how long a message id is remembered; 0: the server's (2 min)
};

struct StreamState {
  std::uint64_t last_sequence = 0;  ///< 0: empty
  std::uint64_t bytes = 0;
  std::uint64_t messages = 0;
};

/// A message taken from a pull consumer. Owns the client's message until it
/// is destroyed, so it can be acknowledged later.
class JetStreamMessage {
 public:
  explicit JetStreamMessage(__natsMsg* msg);
  ~JetStreamMessage();
  JetStreamMessage(JetStreamMessage&& other) noexcept;
  JetStreamMessage& operator=(JetStreamMessage&& other) noexcept;
  JetStreamMessage(const JetStreamMessage&) = delete;
  JetStreamMessage& operator=(const JetStreamMessage&) = delete;

  [[nodiscard]] std::string_view subject() const noexcept;
  [[nodiscard]] std::string_view data() const noexcept;
  [[nodiscard]] std::uint64_t stream_sequence() const noexcept { return stream_seq_; }
  /// When the stream stored it, in nanoseconds since the epoch.
  [[nodiscard]] std::int64_t timestamp_ns() const noexcept { return timestamp_ns_; }
  /// Messages left for the consumer after this one when it was delivered.
  [[nodiscard]] std::uint64_t pending() const noexcept { return pending_; }
  /// Acknowledges it, and with an ack-all consumer every message before it.
  void ack() const;

 private:
  __natsMsg* msg_;
  std::uint64_t stream_seq_ = 0;
  std::int64_t timestamp_ns_ = 0;
  std::uint64_t pending_ = 0;
};

/// A pull consumer on one stream, filtered to one subject pattern.
class PullConsumer {
 public:
  ~PullConsumer();
  PullConsumer(const PullConsumer&) = delete;
  PullConsumer& operator=(const PullConsumer&) = delete;

  /// Up to `batch` messages, waiting at most `timeout` for the first; empty
  /// when none came. With a `timeout` under 50 ms it asks the server how
  /// many wait (one round trip) rather than wait.
  std::vector<JetStreamMessage> fetch(int batch, std::chrono::milliseconds timeout);
  /// Messages waiting for this consumer, as last learnt (from the last
  /// message fetched, or refresh_pending()).
  [[nodiscard]] std::uint64_t pending() const noexcept { return pending_; }
  /// Asks the server how many messages wait for this consumer.
  std::uint64_t refresh_pending();

 private:
  friend class JetStream;
  explicit PullConsumer(__natsSubscription* sub) : sub_(sub) {}
  __natsSubscription* sub_;
  std::uint64_t pending_ = 0;
};

struct KeyValueEntry {
  std::string value;
  std::uint64_t revision = 0;
};

/// A key-value bucket (a stream underneath): checkpoints and leases.
class KeyValue {
 public:
  ~KeyValue();
  KeyValue(const KeyValue&) = delete;
  KeyValue& operator=(const KeyValue&) = delete;

  [[nodiscard]] std::optional<KeyValueEntry> get(const std::string& key) const;
  /// Writes whatever is there; returns the new revision.
  std::uint64_t put(const std::string& key, std::string_view value);
  /// Writes only when the key holds nothing; nullopt when it does.
  std::optional<std::uint64_t> create(const std::string& key, std::string_view value);
  /// Writes only when the key is still at `revision`; nullopt when it moved on.
  std::optional<std::uint64_t> update(const std::string& key, std::string_view value, std::uint64_t revision);
  void erase(const std::string& key);
  /// The keys that hold a value now (neither deleted nor expired), in no order.
  [[nodiscard]] std::vector<std::string> keys() const;

  /// A value larger than the server takes in one message (1 MiB by default):
  /// written in pieces of `piece_bytes` under `key.0`, `key.1`, ..., then
  /// `key` itself, naming how many pieces and how long the whole is, so a
  /// reader sees the old whole or the new one, never a mix.
  void put_large(const std::string& key, std::string_view value, std::size_t piece_bytes = 512 * 1024);
  /// What put_large wrote; nullopt when there is nothing, or a piece is
  /// missing or of the wrong length (a write cut short and then expired).
  [[nodiscard]] std::optional<std::string> get_large(const std::string& key) const;

 private:
  friend class JetStream;
  explicit KeyValue(__kvStore* kv) : kv_(kv) {}
  __kvStore* kv_;
};

/// A name as a key-value key: its subject token (site_router.h) with `%`
/// written `=`, since keys take letters, digits and `-_=/.` only.
std::string key_value_key(std::string_view name);

struct ConsumerSpec {
  std::string stream;
  std::string filter;        ///< subject pattern
  std::string durable;       ///< empty: an ephemeral consumer
  std::uint64_t start_sequence = 0;  ///< 0: from the first message kept
  std::int64_t start_time_ns = 0;    ///< instead of a sequence: the first message stored at or after it
  std::chrono::seconds ack_wait{30};
  /// An ephemeral consumer (no `durable`) not asked for anything this long is
  /// removed by the server (whose default is 5 s).
  std::chrono::seconds inactive_threshold{3600};
  bool ack_all = true;       ///< acknowledging a message acknowledges those before it
};

class JetStream {
 public:
  /// How publishes and pull requests go out: each at once (the latency of
  /// a live record), or gathered by libnats' flusher thread, which waits a
  /// millisecond before each write (a bulk load: a third more messages a second).
  enum class Writes : std::uint8_t { kAtOnce, kGathered };
  /// Connects to `url` ("nats://127.0.0.1:4222"); throws when it cannot.
  explicit JetStream(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(5),
                     Writes writes = Writes::kAtOnce);
  ~JetStream();
  JetStream(const JetStream&) = delete;
  JetStream& operator=(const JetStream&) = delete;

  /// Creates the stream, or updates its subjects and limits when it exists.
  void ensure_stream(const StreamSpec& spec);
  /// What the stream holds; with `filter`, `messages` counts only those on
  /// subjects matching it.
  [[nodiscard]] StreamState state(const std::string& stream, const std::string& filter = {}) const;
  /// The sequence of the stream's last message (0: empty).
  [[nodiscard]] std::uint64_t last_sequence(const std::string& stream) const { return state(stream).last_sequence; }

  /// Publishes and waits for the stream's acknowledgement. With `msg_id`,
  /// a second message with the same id inside the stream's duplicate window
  /// is dropped by the server; returns false for such a duplicate.
  bool publish(const std::string& subject, std::string_view data, const std::string& msg_id = {});
  /// Publishes without waiting (at most `max_pending` unacknowledged);
  /// wait_published() waits for every acknowledgement and throws if any
  /// publish failed.
  void publish_async(const std::string& subject, std::string_view data, const std::string& msg_id = {});
  void wait_published(std::chrono::milliseconds timeout = std::chrono::seconds(30));

  [[nodiscard]] std::unique_ptr<PullConsumer> pull_consumer(const ConsumerSpec& spec);
  void delete_consumer(const std::string& stream, const std::string& durable);

  /// Opens the bucket, creating it (with `ttl`: a key not written for that
  /// long disappears; 0: never) when it does not exist.
  [[nodiscard]] std::unique_ptr<KeyValue> key_value(const std::string& bucket, std::chrono::milliseconds ttl = {},
                                                    std::int32_t max_value_bytes = -1);

 private:
  std::unique_ptr<JetStreamAsync> async_;  // before the context, whose callbacks point into it
  __natsConnection* nc_ = nullptr;
  __jsCtx* js_ = nullptr;
};

}  // namespace callroot::runtime
