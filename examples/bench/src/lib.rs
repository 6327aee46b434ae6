//! The benchmark harness of Bia: the same user service three ways — written
//! by hand with axum, written by hand with tonic, and written with Bia —
//! over the same in-memory store, plus the load client the harness drives
//! them with. `run.sh` beside this crate measures them; `BENCHMARKS.md` at the
//! repository root records the results.
//!
//! The hand-written servers are what a competent person writes: axum with
//! `Path`/`Json` extractors and serde derives, tonic with prost derives and a
//! service shaped like tonic-build's output; errors carry the same Kratos body
//! and `google.rpc.ErrorInfo` as Bia's.

pub mod fair;
pub mod load;
pub mod load_stream;
pub mod raw_axum;
pub mod raw_tonic;
pub mod soak;
pub mod tls;
pub mod with_bia;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

/// Users seeded at start: ids `1` to `SEEDED`.
pub const SEEDED: u64 = 1000;

/// The in-memory store all three servers share the shape of.
#[derive(Debug)]
pub struct Store {
    users: RwLock<HashMap<String, (String, String)>>,
    next: AtomicU64,
}

impl Default for Store {
    fn default() -> Self {
        let users =
            (1..=SEEDED).map(|i| (i.to_string(), (format!("user-{i}"), format!("user-{i}@example.com")))).collect();
        Self { users: RwLock::new(users), next: AtomicU64::new(SEEDED + 1) }
    }
}

impl Store {
    /// The name and email of a user.
    pub fn get(&self, id: &str) -> Option<(String, String)> {
        self.users.read().expect("lock").get(id).cloned()
    }

    /// Adds a user; returns its id.
    pub fn create(&self, name: String, email: String) -> String {
        let id = self.next.fetch_add(1, Ordering::Relaxed).to_string();
        self.users.write().expect("lock").insert(id.clone(), (name, email));
        id
    }
}

/// The two addresses every server binary takes, `NAME HTTP_ADDR GRPC_ADDR`;
/// exits with a usage line when they are not there.
pub fn server_addrs(name: &str) -> (std::net::SocketAddr, std::net::SocketAddr) {
    let args: Vec<std::net::SocketAddr> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    match (args.first(), args.get(1)) {
        (Some(&http), Some(&grpc)) => (http, grpc),
        _ => {
            eprintln!("usage: {name} HTTP_ADDR GRPC_ADDR");
            std::process::exit(2);
        }
    }
}

/// Waits for SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
