//! The one way this program listens for HTTP: the console, its metrics and
//! the simulated provider all accept connections through `tuned`.

use axum::serve::ListenerExt;
use tokio::net::{TcpListener, TcpStream};

/// A listener whose every accepted connection is set up before it is served.
pub type TunedListener = axum::serve::TapIo<TcpListener, fn(&mut TcpStream)>;

/// `listener`, with Nagle's algorithm off on every connection it accepts.
///
/// A page leaves in several small writes (headers, then the body's
/// chunks), and with Nagle on the kernel holds the second small write until
/// the first is acknowledged, which a browser delays by up to 40 ms.
/// Measured: the sign-in-sized pages took 44 ms at p50 instead of 7
/// (BENCHMARKS.md). The simulated provider's and the metrics' answers leave
/// in one write and did not stall, but a later streamed answer would.
pub fn tuned(listener: TcpListener) -> TunedListener {
    let no_delay: fn(&mut TcpStream) = |stream| {
        // Without it the connection still works, only slower: serve it.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::warn!(error = %e, "could not turn Nagle's algorithm off");
        }
    };
    listener.tap_io(no_delay)
}
