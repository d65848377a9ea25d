#pragma once
// A small HTTP/1.1 server on Boost.Beast for the session service: asynchronous I/O on a few
// threads, keep-alive, and a limit on everything a client controls, each refused with its own
// status before anything over the limit is held in memory:
//   connections in all and per client address (over: 503 and closed; a few reserved slots still
//     answer GET /healthz and /metrics, so probes get through while slow clients hold the rest),
//   header bytes (431) and header fields (431), body bytes whatever the framing (413: the
//     Content-Length is refused before the body is read, a chunked body as it passes the limit),
//   one deadline for a whole request, header and body, from its first byte (408; a client sending
//     a byte a second cannot hold a connection longer than that), an idle keep-alive timeout,
//     requests per connection, a deadline for writing an answer;
//   Content-Encoding other than identity: 415 (nothing is ever inflated).
// The `gate` sees each request's method, target and headers before its body is read (the bearer
// token is checked there); the `handler` answers complete requests. stop() is graceful: no new
// connections, requests in flight are answered, idle connections closed, then run() returns.
// Beast is compiled in http_server.cpp only (it costs seconds of compile time per file).

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace segkit::examples {

/// What the server accepts from clients (defaults suit a service on loopback or behind a proxy).
struct http_limits {
  std::size_t max_connections = 1024;            ///< open connections in all
  std::size_t max_connections_per_client = 256;  ///< open connections from one client address
  std::size_t reserved_connections = 8;          ///< beyond both limits: for GET /healthz and /metrics only
  std::size_t max_header_bytes = 8192;           ///< request line and header fields (431 beyond)
  std::size_t max_header_fields = 64;            ///< header fields (431 beyond)
  std::size_t max_body = 1 << 20;                ///< body bytes, any framing (413 beyond)
  std::chrono::milliseconds request_timeout{10000};  ///< a whole request, header and body, from its first byte (408)
  std::chrono::milliseconds idle_timeout{5000};      ///< keep-alive: waiting for the next request
  std::chrono::milliseconds write_timeout{10000};    ///< writing one answer
  std::size_t max_requests_per_connection = 100000;  ///< then the answer says Connection: close
};

/// A request's head, as the gate sees it (before the body is read).
struct http_head {
  std::string_view method;         ///< "GET", "POST", ...
  std::string_view target;         ///< path and query, as sent
  std::string_view authorization;  ///< the Authorization header, or empty
};

/// A complete request, as the handler sees it.
struct http_request {
  http_head head;
  const std::string& body;
};

/// An answer.
struct http_answer {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
};

/// The server. Construct, bind(), then run() (blocking) on one thread; stop() from any thread.
class http_server {
 public:
  /// The gate answers a request itself (e.g. 401) by returning an answer, or lets it through.
  using gate_fn = std::function<std::optional<http_answer>(const http_head&)>;
  using handler_fn = std::function<http_answer(const http_request&)>;
  /// Called once per answer, the server's own refusals included: target ("" when none was read),
  /// status, seconds from the request's first byte (or its header) to the answer.
  using record_fn = std::function<void(std::string_view target, int status, double seconds)>;

  http_server(std::string host, http_limits limits, std::size_t threads, gate_fn gate, handler_fn handler, record_fn record);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds to `port` (0: any free port) and returns the port. @throws std::runtime_error if it cannot.
  int bind(int port);
  /// Serves on `threads` threads (this one among them) until stop() has drained the connections.
  void run();
  /// Graceful stop: callable from any thread (not from a signal handler), any number of times.
  void stop();
  /// True from run() until stop().
  [[nodiscard]] bool running() const;

  struct impl;  ///< the Beast side (http_server.cpp); shared with its connections

 private:
  std::shared_ptr<impl> impl_;
};

}  // namespace segkit::examples
