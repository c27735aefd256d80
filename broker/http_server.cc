#include "broker/http_server.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <mutex>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"

namespace corelog::broker {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr size_t kMaxRequestBytes = 16 * 1024;

struct Answer {
  http::status status;
  std::string content_type;
  std::string body;
};

// One HTTP/1.1 connection: read a request, answer it, repeat until the peer
// closes or is too slow.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  using Router = std::function<Answer(const http::request<http::string_body>&)>;

  HttpSession(tcp::socket socket, Router router)
      : stream_(std::move(socket)), router_(std::move(router)) {}

  void Read() {
    request_ = {};
    parser_.emplace();
    parser_->header_limit(kMaxRequestBytes);
    parser_->body_limit(kMaxRequestBytes);
    stream_.expires_after(kTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

 private:
  void OnRead(beast::error_code ec) {
    if (ec) return Close();
    request_ = parser_->release();
    Answer a = router_(request_);
    auto res = std::make_shared<http::response<http::string_body>>(a.status, request_.version());
    res->set(http::field::content_type, a.content_type);
    res->keep_alive(request_.keep_alive());
    res->body() = std::move(a.body);
    res->prepare_payload();
    stream_.expires_after(kTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec || !res->keep_alive()) return self->Close();
                        self->Read();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::request<http::string_body> request_;
  Router router_;
};

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HostPort listen, HttpServer* owner) : listen_(std::move(listen)), owner_(owner), acceptor_(io_) {}

  Status Start() {
    boost::system::error_code ec;
    tcp::resolver resolver(io_);
    auto results = resolver.resolve(listen_.host, std::to_string(listen_.port), ec);
    if (ec || results.empty()) {
      return Error(std::make_error_code(std::errc::invalid_argument),
                   "cannot resolve metrics listener " + listen_.ToString());
    }
    tcp::endpoint ep = results.begin()->endpoint();
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error(ec, "cannot listen on " + listen_.ToString() + ": " + ec.message());
    Accept();
    thread_ = std::thread([this] {
      SetThreadName("metrics-http");
      io_.run();
    });
    return Ok();
  }

  void Stop() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
    });
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  Answer Route(const http::request<http::string_body>& req) {
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    bool known = target == "/metrics" || target == "/healthz" || target == "/readyz";
    if (!known) return {http::status::not_found, "text/plain", "not found\n"};
    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      return {http::status::method_not_allowed, "text/plain", "method not allowed\n"};
    }
    if (target == "/healthz") return {http::status::ok, "text/plain", "ok\n"};
    if (target == "/readyz") {
      return owner_->ready_.load()
                 ? Answer{http::status::ok, "text/plain", "ready\n"}
                 : Answer{http::status::service_unavailable, "text/plain", "recovering\n"};
    }
    std::string body;
    {
      std::lock_guard lock(mu_);
      if (provider_) body = provider_();
    }
    return {http::status::ok, "text/plain; version=0.0.4; charset=utf-8", std::move(body)};
  }

  void Accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (!acceptor_.is_open()) return;
      if (!ec) {
        std::make_shared<HttpSession>(std::move(socket), [this](const auto& r) { return Route(r); })
            ->Read();
      }
      Accept();
    });
  }

  HostPort listen_;
  HttpServer* owner_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mu_;
  MetricsProvider provider_;
};

HttpServer::HttpServer(HostPort listen) : impl_(std::make_unique<Impl>(std::move(listen), this)) {}
HttpServer::~HttpServer() { impl_->Stop(); }

void HttpServer::SetMetricsProvider(MetricsProvider provider) {
  std::lock_guard lock(impl_->mu_);
  impl_->provider_ = std::move(provider);
}

Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }

HostPort HttpServer::address() const {
  boost::system::error_code ec;
  auto ep = impl_->acceptor_.local_endpoint(ec);
  return HostPort{ep.address().to_string(), ep.port()};
}

}  // namespace corelog::broker
