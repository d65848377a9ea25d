// The Beast side of http_server.hpp (the only file of the service that includes Boost.Beast and
// Boost.Asio). One connection object per socket, all of its work on one strand; a timer of its own
// for the request deadline and the idle timeout (a tcp_stream timeout would close the socket, and
// a late client is owed a 408 first).
#include "http_server.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <fmt/format.h>

namespace segkit::examples {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

// Beast's string_view (boost's in Boost 1.74) as the standard one.
std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string error_json(std::string_view message) { return fmt::format(R"({{"error":"{}"}})", message); }

class connection;

}  // namespace

struct http_server::impl : std::enable_shared_from_this<impl> {
  impl(std::string h, http_limits l, std::size_t t, gate_fn g, handler_fn f, record_fn r)
      : host(std::move(h)), limits(l), threads(std::max<std::size_t>(1, t)), gate(std::move(g)), handler(std::move(f)), record(std::move(r)),
        ioc(static_cast<int>(threads)), acceptor(net::make_strand(ioc)), grace(acceptor.get_executor()), backoff(acceptor.get_executor()) {}

  std::string host;
  http_limits limits;
  std::size_t threads;
  gate_fn gate;
  handler_fn handler;
  record_fn record;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer grace;    // stop(): the longest the drain may take
  net::steady_timer backoff;  // after a failed accept (out of file descriptors): a pause before the next
  std::atomic<bool> running{false}, stopping{false};

  // Open connections, counted in all and per client address; the reserved ones apart.
  std::mutex mutex;
  std::size_t open = 0, reserved_open = 0;
  std::unordered_map<std::string, std::size_t> per_client;
  std::unordered_map<const connection*, std::weak_ptr<connection>> live;

  void accept();
  void release(const connection* c, const std::string& client, bool reserved);
  void begin_stop();
  void close_all();
  std::vector<std::shared_ptr<connection>> connections();
};

namespace {

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(tcp::socket socket, std::shared_ptr<http_server::impl> server, std::string client, bool reserved)
      : stream_(std::move(socket)), timer_(stream_.get_executor()), buffer_(server->limits.max_header_bytes + 65536), server_(std::move(server)),
        client_(std::move(client)), reserved_(reserved) {}
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection() { server_->release(this, client_, reserved_); }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->next_request(); });
  }

  // stop(): an idle connection closes now; a busy one after its answer (keep-alive is off then).
  // With `now`, a busy one closes too.
  void on_stop(bool now) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), now] {
      if (now || self->idle_) self->close();
    });
  }

 private:
  // Waits for the first byte of the next request (the idle timeout), unless one is buffered.
  void next_request() {
    if (server_->stopping.load()) return close();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(server_->limits.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(server_->limits.max_body);
    target_.clear();
    timed_out_ = false;
    if (buffer_.size() != 0) return read_header();
    idle_ = true;
    arm(reserved_ ? std::min(server_->limits.request_timeout, std::chrono::milliseconds(1000)) : server_->limits.idle_timeout);
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      self->idle_ = false;
      if (ec || self->timed_out_) return self->close();
      self->read_header();
    });
  }

  // The whole request, header and body, must arrive within request_timeout from here.
  void read_header() {
    idle_ = false;
    started_ = clock_type::now();
    arm(reserved_ ? std::min(server_->limits.request_timeout, std::chrono::milliseconds(1000)) : server_->limits.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail(ec);
    const auto& req = parser_->get();
    target_ = std::string(req.target());
    std::size_t fields = 0;
    for (auto it = req.begin(); it != req.end(); ++it) ++fields;
    if (fields > server_->limits.max_header_fields) {
      return refuse(431, fmt::format("{} header fields exceed the limit of {}", fields, server_->limits.max_header_fields));
    }
    if (reserved_ && !(req.method() == http::verb::get && (target_ == "/healthz" || target_ == "/metrics"))) {
      return refuse(503, "too many connections; this slot answers GET /healthz and /metrics only");
    }
    if (const auto enc = sv(req[http::field::content_encoding]); !enc.empty() && !equals_ignoring_case(enc, "identity")) {
      return refuse(415, "Content-Encoding other than identity is not accepted");
    }
    if (const auto len = parser_->content_length(); len && *len > server_->limits.max_body) {
      return refuse(413, fmt::format("a body of {} bytes exceeds the limit of {}", *len, server_->limits.max_body));
    }
    const http_head head{sv(req.method_string()), target_, sv(req[http::field::authorization])};
    if (server_->gate) {
      if (auto answer = server_->gate(head)) {
        // Answered before the body: the body is never read, so the connection cannot go on.
        return respond(std::move(*answer), parser_->is_done() && req.keep_alive());
      }
    }
    if (parser_->is_done()) return handle();
    if (equals_ignoring_case(sv(req[http::field::expect]), "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, req.version());
      stream_.expires_after(server_->limits.write_timeout);
      return http::async_write(stream_, *cont, [self = shared_from_this(), cont](beast::error_code e, std::size_t) {
        if (e) return self->close();
        self->stream_.expires_never();
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail(ec);
      self->handle();
    });
  }

  void handle() {
    disarm();
    const auto& req = parser_->get();
    const http_request request{{sv(req.method_string()), target_, sv(req[http::field::authorization])}, req.body()};
    http_answer answer;
    try {
      answer = server_->handler(request);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "session service: %s %s: %s\n", std::string(sv(req.method_string())).c_str(), target_.c_str(), e.what());
      answer = {500, error_json("internal error")};
    }
    ++served_;
    const bool keep = req.keep_alive() && !reserved_ && served_ < server_->limits.max_requests_per_connection;
    respond(std::move(answer), keep);
  }

  // Maps a read error to its answer: limits to their 4xx, a late request to 408, the rest closes.
  void fail(beast::error_code ec) {
    if (timed_out_) {
      // Nothing of a request yet (idle): close quietly; part of one: 408.
      if (parser_ && parser_->got_some()) return refuse(408, "the request did not arrive within the time limit");
      return close();
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) return refuse(431, "request header too large");
    if (ec == http::error::body_limit) return refuse(413, "request body too large");
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::operation_aborted || ec == net::error::connection_reset) return close();
    if (parser_ && parser_->got_some()) return refuse(400, "malformed HTTP request");
    close();
  }

  void refuse(int status, std::string_view message) { respond({status, error_json(message)}, false); }

  void respond(http_answer answer, bool keep) {
    disarm();
    if (server_->stopping.load()) keep = false;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(answer.status));
    res_.set(http::field::content_type, answer.content_type);
    res_.body() = std::move(answer.body);
    res_.keep_alive(keep);
    res_.prepare_payload();
    const double seconds = std::chrono::duration<double>(clock_type::now() - started_).count();
    if (server_->record) server_->record(target_, answer.status, started_ == clock_type::time_point{} ? 0.0 : seconds);
    stream_.expires_after(server_->limits.write_timeout);
    http::async_write(stream_, res_, [self = shared_from_this(), keep](beast::error_code ec, std::size_t) {
      self->stream_.expires_never();
      if (ec) return self->close();
      if (!keep) return self->linger_then_close();
      self->next_request();
    });
  }

  // A deadline for what follows: on expiry the pending read is cancelled (the socket stays open
  // for a 408).
  // A deadline that fired just as its step finished (its handler already queued) is stale: the
  // generation number tells, so a request completed at the deadline is not cut off.
  void arm(std::chrono::milliseconds after) {
    const std::uint64_t id = ++deadline_;
    timer_.expires_after(after);
    timer_.async_wait([self = shared_from_this(), id](beast::error_code ec) {
      if (ec || id != self->deadline_) return;  // cancelled or stale: the step finished in time
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  // After the last answer: no more writes, and what the client still sends is read and dropped
  // (for a second at most) before closing. Closing a socket with unread data would send a reset,
  // and a reset can destroy the answer before the client reads it (a refused 4 MiB header, say).
  void linger_then_close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    timed_out_ = false;
    arm(std::chrono::milliseconds(1000));
    discard();
  }
  void discard() {
    stream_.socket().async_read_some(net::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || self->timed_out_) return self->close();
      self->discard();
    });
  }

  void disarm() {
    ++deadline_;
    timer_.cancel();
  }

  void close() {
    disarm();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  std::array<char, 4096> scratch_{};  // what linger_then_close() drops
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  std::shared_ptr<http_server::impl> server_;
  std::string client_;
  std::string target_;
  bool reserved_;
  bool idle_ = true;
  bool timed_out_ = false;
  std::uint64_t deadline_ = 0;  // generation of the armed deadline
  std::size_t served_ = 0;
  clock_type::time_point started_{};
};

}  // namespace

void http_server::impl::accept() {
  acceptor.async_accept(net::make_strand(ioc), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      beast::error_code e;
      const auto remote = socket.remote_endpoint(e);
      std::string client = e ? std::string("?") : remote.address().to_string();
      bool admit = false, reserved = false;
      {
        const std::lock_guard lock(self->mutex);
        const auto it = self->per_client.find(client);
        const std::size_t mine = it == self->per_client.end() ? 0 : it->second;
        if (self->open < self->limits.max_connections && mine < self->limits.max_connections_per_client) {
          admit = true;
          ++self->open;
          ++self->per_client[client];
        } else if (self->reserved_open < self->limits.reserved_connections) {
          admit = reserved = true;
          ++self->reserved_open;
        }
      }
      if (admit && !self->stopping.load()) {
        socket.set_option(tcp::no_delay(true), e);  // a small answer must not wait for the client's delayed ACK
        auto c = std::make_shared<connection>(std::move(socket), self, std::move(client), reserved);
        {
          const std::lock_guard lock(self->mutex);
          self->live.emplace(c.get(), c);
        }
        c->start();
      } else if (admit) {
        // Stopping: count it back out.
        self->release(nullptr, client, reserved);
        socket.close(e);
      } else {
        if (self->record) self->record("", 503, 0.0);
        socket.close(e);  // over every limit: closed at once, nothing read
      }
      return self->accept();
    }
    // Accepting failed (e.g. no file descriptor left): try again shortly instead of spinning.
    self->backoff.expires_after(std::chrono::milliseconds(50));
    self->backoff.async_wait([self](beast::error_code e) {
      if (!e) self->accept();
    });
  });
}

void http_server::impl::release(const connection* c, const std::string& client, bool reserved) {
  bool drained = false;
  {
    const std::lock_guard lock(mutex);
    if (c != nullptr) live.erase(c);
    if (reserved) {
      --reserved_open;
    } else {
      --open;
      auto it = per_client.find(client);
      if (it != per_client.end() && --it->second == 0) per_client.erase(it);
    }
    drained = stopping.load() && open == 0 && reserved_open == 0;
  }
  if (drained) net::post(grace.get_executor(), [self = shared_from_this()] { self->grace.cancel(); });
}

void http_server::impl::begin_stop() {
  net::post(acceptor.get_executor(), [self = shared_from_this()] {
    beast::error_code ignored;
    self->acceptor.close(ignored);
    self->backoff.cancel();
    for (const auto& c : self->connections()) c->on_stop(false);
    {
      const std::lock_guard lock(self->mutex);
      if (self->open == 0 && self->reserved_open == 0) return;
    }
    // Requests in flight get this long to finish; then the threads stop regardless.
    self->grace.expires_after(self->limits.request_timeout + self->limits.write_timeout);
    self->grace.async_wait([self](beast::error_code ec) {
      if (!ec) self->ioc.stop();
    });
  });
}

std::vector<std::shared_ptr<connection>> http_server::impl::connections() {
  std::vector<std::shared_ptr<connection>> out;
  const std::lock_guard lock(mutex);
  for (const auto& [key, weak] : live) {
    if (auto c = weak.lock()) out.push_back(std::move(c));
  }
  return out;
}

void http_server::impl::close_all() {
  beast::error_code ignored;
  acceptor.close(ignored);
  grace.cancel();
  backoff.cancel();
  for (const auto& c : connections()) c->on_stop(true);
}

http_server::http_server(std::string host, http_limits limits, std::size_t threads, gate_fn gate, handler_fn handler, record_fn record)
    : impl_(std::make_shared<impl>(std::move(host), limits, threads, std::move(gate), std::move(handler), std::move(record))) {}

http_server::~http_server() {
  stop();
  // Whatever run() left (it may have ended at the grace deadline, or never run): every connection
  // closed and the handlers run out, so that no pending handler keeps a connection, and through
  // it this server's state, alive.
  auto& i = *impl_;
  i.ioc.restart();
  net::post(i.acceptor.get_executor(), [&i] { i.close_all(); });
  i.ioc.run_for(std::chrono::seconds(5));
}

int http_server::bind(int port) {
  auto& a = impl_->acceptor;
  beast::error_code ec;
  const auto address = net::ip::make_address(impl_->host, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot bind {}:{}: not an IP address", impl_->host, port));
  const tcp::endpoint at(address, static_cast<unsigned short>(port));
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot bind {}:{}: {}", impl_->host, port, ec.message()));
  return a.local_endpoint().port();
}

void http_server::run() {
  if (impl_->stopping.load()) return;
  impl_->running = true;
  impl_->accept();
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < impl_->threads; ++t) pool.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : pool) t.join();
  impl_->running = false;
}

void http_server::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->running = false;
  impl_->begin_stop();
}

bool http_server::running() const { return impl_->running.load(); }

}  // namespace segkit::examples
