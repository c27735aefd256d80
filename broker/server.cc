#include "broker/server.h"

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

#include <signal.h>

#include <atomic>
#include <deque>
#include <future>
#include <list>
#include <thread>
#include <vector>

#include "broker/http_server.h"
#include "common/coding.h"
#include "common/log.h"
#include "common/thread_name.h"
#include "metrics/broker_metrics.h"

namespace corelog::broker {
namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

thread_local int tls_core = -1;

// Requests read ahead of their answers, per connection, by count and by
// bytes. Bounds memory when a client pipelines faster than we answer: a
// frame lives until its answer is written, so without a byte bound a fast
// producer could park hundreds of megabytes of batches waiting for their
// fsync, and every one of those bytes is fresh memory the kernel must zero.
constexpr size_t kMaxInFlight = 128;
// 16 MiB still holds several group commits' worth of batches (2.5-4 MB each
// at full speed), and a single larger request is always read.
constexpr size_t kMaxBytesInFlight = 16 << 20;

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(asio::io_context& io) : timer_(io) {}
  ~AsioTimer() override { Cancel(); }
  void Cancel() override {
    *cancelled_ = true;
    timer_.cancel();
  }
  asio::steady_timer timer_;
  // Shared with the pending handler: a timer that already expired may have
  // its handler queued when it is cancelled or destroyed.
  std::shared_ptr<bool> cancelled_ = std::make_shared<bool>(false);
};

class CoreSet final : public Cores {
 public:
  explicit CoreSet(uint32_t n) {
    for (uint32_t i = 0; i < n; ++i) {
      ios_.push_back(std::make_unique<asio::io_context>(1));
      guards_.emplace_back(ios_.back()->get_executor());
    }
  }
  uint32_t size() const override { return static_cast<uint32_t>(ios_.size()); }
  void Post(uint32_t core, std::function<void()> fn) override { asio::post(*ios_[core], std::move(fn)); }
  std::unique_ptr<Timer> StartTimer(uint32_t core, std::chrono::milliseconds delay,
                                    std::function<void()> fn) override {
    auto t = std::make_unique<AsioTimer>(*ios_[core]);
    t->timer_.expires_after(delay);
    t->timer_.async_wait([cancelled = t->cancelled_, fn = std::move(fn)](boost::system::error_code ec) {
      if (!ec && !*cancelled) fn();
    });
    return t;
  }
  int CurrentCore() const override { return tls_core; }

  void Start() {
    for (uint32_t i = 0; i < ios_.size(); ++i) {
      threads_.emplace_back([this, i] {
        tls_core = static_cast<int>(i);
        SetThreadName("core-" + std::to_string(i));
        ios_[i]->run();
      });
    }
  }
  // Runs what is already queued, then stops even if sockets are still open.
  void Stop() {
    for (auto& g : guards_) g.reset();
    // Queued behind everything already posted; a loop that ran out of work
    // has returned already and never needs it.
    for (auto& io : ios_) asio::post(*io, [io = io.get()] { io->stop(); });
    for (auto& t : threads_) t.join();
    threads_.clear();
  }
  asio::io_context& io(uint32_t core) { return *ios_[core]; }

 private:
  std::vector<std::unique_ptr<asio::io_context>> ios_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
};

// One client connection, living on one core. Reads frames and hands them to
// the handler; answers go out in request order whatever order they finish in.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, uint32_t core, RequestHandler* handler, uint32_t max_frame,
             std::atomic<int>* open_connections, metrics::KafkaCoreMetrics* metrics)
      : socket_(std::move(socket)),
        core_(core),
        handler_(handler),
        max_frame_(max_frame),
        open_(open_connections),
        metrics_(metrics),
        space_(socket_.get_executor()) {
    boost::system::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
    socket_.set_option(tcp::no_delay(true), ec);
    space_.expires_at(std::chrono::steady_clock::time_point::max());
    open_->fetch_add(1);
    if (metrics_) metrics_->OnConnectionOpened();
  }
  ~Connection() {
    open_->fetch_sub(1);
    if (metrics_) metrics_->OnConnectionClosed();
  }

  void Start() {
    asio::co_spawn(socket_.get_executor(), ReadLoop(shared_from_this()), asio::detached);
  }

  // Shutdown: read no more requests; the connection closes once every
  // request already read has been answered.
  void StopReading() {
    closing_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_receive, ec);
    space_.cancel();
    if (slots_.empty()) Close();
  }

 private:
  struct Slot {
    bool done = false;
    Reply reply;
    std::vector<asio::const_buffer> pieces;  // what the write sends
    int16_t api_key = -1;
    size_t frame_bytes = 0;
    std::chrono::steady_clock::time_point start;
  };

  static asio::awaitable<void> ReadLoop(std::shared_ptr<Connection> self) {
    try {
      while (!self->closing_) {
        char size_buf[4];
        co_await asio::async_read(self->socket_, asio::buffer(size_buf), asio::use_awaitable);
        int32_t size = DecodeBE<int32_t>(size_buf);
        if (size < 8 || static_cast<uint32_t>(size) > self->max_frame_) {
          LOG_WARN("closing connection from " << self->peer_ << ": frame size " << size
                                              << " outside [8, " << self->max_frame_ << "]");
          break;
        }
        auto frame = std::make_shared<RequestFrame>(static_cast<size_t>(size));
        co_await asio::async_read(self->socket_, asio::buffer(frame->data(), frame->size()),
                                  asio::use_awaitable);
        self->Dispatch(std::move(frame));
        while (self->ReadAheadFull() && !self->closing_) {
          boost::system::error_code ec;
          co_await self->space_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
      }
    } catch (const boost::system::system_error& e) {
      if (e.code() != asio::error::eof && e.code() != asio::error::operation_aborted &&
          e.code() != asio::error::connection_reset) {
        LOG_DEBUG("connection from " << self->peer_ << " ended: " << e.code().message());
      }
    }
    self->reading_done_ = true;
    if (self->slots_.empty()) self->Close();
  }

  bool ReadAheadFull() const {
    return slots_.size() >= kMaxInFlight || bytes_in_flight_ >= kMaxBytesInFlight;
  }

  void Dispatch(std::shared_ptr<RequestFrame> frame) {
    auto slot = std::make_shared<Slot>();
    // Every request header starts with its api_key; frames are >= 8 bytes.
    slot->api_key = DecodeBE<int16_t>(frame->data());
    slot->frame_bytes = frame->size();
    bytes_in_flight_ += slot->frame_bytes;
    slot->start = std::chrono::steady_clock::now();
    slots_.push_back(slot);
    auto self = shared_from_this();
    auto exec = socket_.get_executor();
    handler_->Handle(core_, std::move(frame), [self, slot, exec](Reply reply) {
      asio::dispatch(exec, [self, slot, reply = std::move(reply)]() mutable {
        slot->reply = std::move(reply);
        slot->done = true;
        self->CountRequest(*slot);
        self->Flush();
      });
    });
  }

  // On the connection's core, into that core's metrics slot.
  void CountRequest(const Slot& slot) {
    if (!metrics_) return;
    metrics_->OnRequest(slot.api_key, std::chrono::steady_clock::now() - slot.start,
                        slot.reply.error_code);
  }

  // Writes every finished answer at the front of the queue, in order.
  void Flush() {
    if (writing_) return;
    while (!slots_.empty() && slots_.front()->done) {
      auto slot = slots_.front();
      if (slot->reply.close) {
        LOG_WARN("closing connection from " << peer_ << " after a request it may not send");
        Close();
        return;
      }
      if (!slot->reply.send) {
        PopSlot();
        continue;
      }
      writing_ = true;
      slot->pieces = Pieces(slot->reply);
      asio::async_write(socket_, slot->pieces,
                        [self = shared_from_this()](boost::system::error_code ec, size_t) {
                          self->writing_ = false;
                          if (ec) return self->Close();
                          self->PopSlot();
                          self->Flush();
                        });
      return;
    }
    if (slots_.empty() && reading_done_) Close();
  }

  // The reply's bytes with its splices in between, as one write sends them.
  static std::vector<asio::const_buffer> Pieces(const Reply& reply) {
    std::vector<asio::const_buffer> pieces;
    pieces.reserve(2 * reply.splices.size() + 1);
    size_t from = 0;
    for (const kafka::Splice& splice : reply.splices) {
      pieces.push_back(asio::buffer(reply.bytes.data() + from, splice.at - from));
      pieces.push_back(asio::buffer(splice.bytes.data(), splice.bytes.size()));
      from = splice.at;
    }
    pieces.push_back(asio::buffer(reply.bytes.data() + from, reply.bytes.size() - from));
    return pieces;
  }

  void PopSlot() {
    bytes_in_flight_ -= slots_.front()->frame_bytes;
    slots_.pop_front();
    space_.cancel();
  }

  void Close() {
    if (closed_) return;
    closed_ = closing_ = true;
    boost::system::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
    space_.cancel();
  }

  tcp::socket socket_;
  uint32_t core_;
  RequestHandler* handler_;
  uint32_t max_frame_;
  std::atomic<int>* open_;
  metrics::KafkaCoreMetrics* metrics_;
  asio::steady_timer space_;
  std::string peer_;
  std::deque<std::shared_ptr<Slot>> slots_;
  size_t bytes_in_flight_ = 0;  // frame bytes of the requests in slots_
  bool writing_ = false;
  bool reading_done_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

Result<tcp::endpoint> Resolve(asio::io_context& io, const HostPort& hp) {
  boost::system::error_code ec;
  tcp::resolver resolver(io);
  auto results = resolver.resolve(hp.host, std::to_string(hp.port), ec);
  if (ec || results.empty()) {
    return Error(std::make_error_code(std::errc::invalid_argument),
                 "cannot resolve " + hp.ToString() + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(const ServerOptions& o)
      : options_(o),
        cores_(o.cores),
        acceptor_(cores_.io(0)),
        http_(o.metrics_listen),
        connections_(o.cores) {}

  Status Listen(RequestHandler* handler) {
    handler_ = handler;
    CORELOG_ASSIGN_OR_RETURN(tcp::endpoint ep, Resolve(cores_.io(0), options_.listen));
    boost::system::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error(ec, "cannot listen on " + options_.listen.ToString() + ": " + ec.message());
    }
    CORELOG_TRY(http_.Start());
    asio::post(cores_.io(0), [this] { Accept(); });
    return Ok();
  }

  void Accept() {
    uint32_t core = next_core_++ % cores_.size();
    acceptor_.async_accept(cores_.io(core), [this, core](boost::system::error_code ec,
                                                         tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) {
        auto* metrics = options_.metrics ? &options_.metrics->kafka(core) : nullptr;
        auto conn = std::make_shared<Connection>(std::move(socket), core, handler_,
                                                 options_.max_frame_bytes, &open_connections_,
                                                 metrics);
        // Registered on its own core: each core's list is touched only there.
        asio::post(cores_.io(core), [this, core, conn] {
          auto& list = connections_[core];
          std::erase_if(list, [](const auto& w) { return w.expired(); });
          list.push_back(conn);
          conn->Start();
        });
      } else {
        LOG_WARN("accept failed: " << ec.message());
      }
      Accept();
    });
  }

  HostPort kafka_address() const {
    boost::system::error_code ec;
    auto ep = acceptor_.local_endpoint(ec);
    return HostPort{ep.address().to_string(), ep.port()};
  }

  void WaitForShutdownSignal() {
    // The signals are blocked in every thread (BlockShutdownSignals), so
    // one that arrived before this call is pending, not lost.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int received = 0;
    while (sigwait(&set, &received) != 0) {
    }
    LOG_INFO("received signal " << received << ", shutting down");
    std::promise<void> closed;
    asio::post(cores_.io(0), [&] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      closed.set_value();
    });
    closed.get_future().wait();
    for (uint32_t core = 0; core < cores_.size(); ++core) {
      asio::post(cores_.io(core), [this, core] {
        for (auto& w : connections_[core]) {
          if (auto conn = w.lock()) conn->StopReading();
        }
      });
    }
    // In-flight requests (a long-poll fetch at most its max wait) finish and
    // their connections close; the wait is bounded in case a peer stalls.
    auto deadline = std::chrono::steady_clock::now() + 15s;
    while (open_connections_.load() > 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(10ms);
    }
    http_.Stop();
  }

  ServerOptions options_;
  CoreSet cores_;
  tcp::acceptor acceptor_;
  HttpServer http_;
  RequestHandler* handler_ = nullptr;
  uint32_t next_core_ = 0;
  std::atomic<int> open_connections_{0};
  std::vector<std::list<std::weak_ptr<Connection>>> connections_;
};

void BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

Server::Server(const ServerOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Server::~Server() = default;
Cores& Server::cores() { return impl_->cores_; }
void Server::StartCores() { impl_->cores_.Start(); }
Status Server::Listen(RequestHandler* handler) { return impl_->Listen(handler); }
HostPort Server::kafka_address() const { return impl_->kafka_address(); }
HostPort Server::metrics_address() const { return impl_->http_.address(); }
void Server::SetReady() { impl_->http_.SetReady(true); }
void Server::SetMetricsProvider(std::function<std::string()> provider) {
  impl_->http_.SetMetricsProvider(std::move(provider));
}
void Server::WaitForShutdownSignal() { impl_->WaitForShutdownSignal(); }
void Server::StopCores() { impl_->cores_.Stop(); }

}  // namespace corelog::broker
