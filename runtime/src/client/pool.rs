//! The nodes of a balanced target, and the per-call pick.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use super::{Balancer, Dial, MakeNode, NodeFilter};
use crate::error::reason::{BAD_ENDPOINT, NO_AVAILABLE_NODE};
use crate::error::Error;
use crate::registry::{AbortOnDrop, ServiceInstance};

/// How long a node whose connection was refused stays out of rotation.
const DOWN_FOR: Duration = Duration::from_secs(3);
/// The EWMA's time constant (as Kratos' p2c).
const TAU_NS: f64 = 600_000_000.0;

/// One server of a target.
pub(crate) struct Node<H> {
    /// `host:port`.
    pub addr: String,
    /// Whether it speaks TLS.
    tls: bool,
    /// What calls go through (a channel, a base URL).
    pub handle: H,
    weight: i64,
    current: AtomicI64,
    inflight: AtomicI64,
    /// Latency EWMA in ns (0: no sample yet, so preferred).
    ewma_ns: AtomicU64,
    /// When the EWMA was last updated, in ns since the pool's epoch.
    stamp_ns: AtomicU64,
    /// Out of rotation until this time, in ms since the pool's epoch.
    down_until_ms: AtomicU64,
    /// Calls that completed on it.
    samples: AtomicU64,
}

impl<H> Node<H> {
    fn new(addr: String, tls: bool, handle: H, weight: i64) -> Self {
        Node {
            addr,
            tls,
            handle,
            weight: weight.max(1),
            current: AtomicI64::new(0),
            inflight: AtomicI64::new(0),
            ewma_ns: AtomicU64::new(0),
            stamp_ns: AtomicU64::new(0),
            down_until_ms: AtomicU64::new(0),
            samples: AtomicU64::new(0),
        }
    }

    /// The load p2c compares: the latency EWMA, decayed by the time since it
    /// was last updated (an idle node looks cheaper and gets probed again),
    /// times the calls in flight plus one.
    fn load(&self, now_ns: u64) -> f64 {
        let ewma = self.ewma_ns.load(Ordering::Relaxed) as f64;
        let idle = now_ns.saturating_sub(self.stamp_ns.load(Ordering::Relaxed)) as f64;
        (ewma * (-idle / TAU_NS).exp() + 1.0) * (self.inflight.load(Ordering::Relaxed) + 1) as f64
    }
}

/// The nodes of one target and how calls pick among them.
pub(crate) struct Pool<H> {
    /// The target as dialed, for messages.
    target: String,
    scheme: &'static str,
    balancer: Balancer,
    filter: Option<NodeFilter>,
    make: MakeNode<H>,
    nodes: RwLock<Arc<[Arc<Node<H>>]>>,
    wrr: Mutex<()>,
    epoch: Instant,
    watch: Mutex<Option<AbortOnDrop>>,
}

impl<H> std::fmt::Debug for Pool<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<String> = self.snapshot().iter().map(|n| n.addr.clone()).collect();
        f.debug_struct("Pool").field("target", &self.target).field("nodes", &nodes).finish()
    }
}

/// A node picked for one call; report how it went with [`Picked::done`].
/// One dropped without a report was abandoned (see its `Drop`).
pub(crate) struct Picked<H> {
    pub node: Arc<Node<H>>,
    start: Instant,
    epoch: Instant,
    reported: bool,
}

impl<H> Picked<H> {
    /// Records the call: its latency in the EWMA, or (`refused`) takes the
    /// node out of rotation for a while.
    pub fn done(mut self, refused: bool) {
        self.reported = true;
        self.record(refused, false);
    }

    fn record(&self, refused: bool, abandoned: bool) {
        let node = &self.node;
        node.inflight.fetch_sub(1, Ordering::Relaxed);
        let now = self.epoch.elapsed();
        if refused {
            let until = (now + DOWN_FOR).as_millis() as u64;
            node.down_until_ms.store(until, Ordering::Relaxed);
            return;
        }
        // The first call on a node pays for its connection: not a latency
        // sample, unless it never ended.
        if node.samples.fetch_add(1, Ordering::Relaxed) == 0 && !abandoned {
            return;
        }
        let lat = self.start.elapsed().as_nanos() as f64;
        let now_ns = now.as_nanos() as u64;
        let last = node.stamp_ns.swap(now_ns, Ordering::Relaxed);
        let old = node.ewma_ns.load(Ordering::Relaxed) as f64;
        let next = if old == 0.0 {
            lat
        } else {
            let w = (-((now_ns.saturating_sub(last)) as f64) / TAU_NS).exp();
            old * w + lat * (1.0 - w)
        };
        node.ewma_ns.store(next.max(1.0) as u64, Ordering::Relaxed);
    }
}

impl<H> Drop for Picked<H> {
    /// A call dropped before it ended: its deadline passed, or its caller
    /// gave up. It is no longer in flight (without this a node's count of
    /// calls in flight only grew with each timeout), and the time it ran is
    /// a latency sample, the least the node took: a node that accepts
    /// connections and never answers looks as slow as the deadlines it
    /// made calls miss, so the balancer stops picking it.
    fn drop(&mut self) {
        if !self.reported {
            self.record(false, true);
        }
    }
}

impl<H> Pool<H> {
    fn snapshot(&self) -> Arc<[Arc<Node<H>>]> {
        self.nodes.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl<H: Clone + Send + Sync + 'static> Pool<H> {
    fn empty(dial: &Dial, scheme: &'static str, make: MakeNode<H>) -> Arc<Self> {
        Arc::new(Pool {
            target: dial.target.clone(),
            scheme,
            balancer: dial.balancer,
            filter: dial.filter.clone(),
            make,
            nodes: RwLock::new(Arc::from(Vec::new())),
            wrr: Mutex::new(()),
            epoch: Instant::now(),
            watch: Mutex::new(None),
        })
    }

    /// A pool over a `direct:///host:port,..` list (no I/O: nodes connect
    /// on first use), over TLS when the dial has TLS settings.
    pub fn direct(dial: &Dial, list: &[String], scheme: &'static str, make: MakeNode<H>) -> Arc<Self> {
        let pool = Self::empty(dial, scheme, make);
        let tls = if dial.tls.is_some() { "s" } else { "" };
        let instances = list
            .iter()
            .enumerate()
            .map(|(i, addr)| ServiceInstance::new("direct", i.to_string()).endpoint(format!("{scheme}{tls}://{addr}")))
            .collect();
        pool.update(instances);
        pool
    }

    /// A pool over the instances of service `name` in `dial`'s discovery;
    /// `scheme` picks the instances' endpoints (`grpc` or `grpcs`, `http` or
    /// `https`), `make` makes a node's handle from its `host:port` and
    /// whether it speaks TLS. Waits for the current instances, then follows
    /// the discovery's changes.
    pub async fn discover(
        dial: &Dial,
        name: &str,
        scheme: &'static str,
        make: MakeNode<H>,
    ) -> Result<Arc<Self>, Error> {
        let discovery = dial.discovery.clone().ok_or_else(|| {
            Error::bad_request(
                BAD_ENDPOINT,
                format!(
                    "`{}` needs a discovery: dial it with bia::client::Dial::new(..).discovery(registry)",
                    dial.target
                ),
            )
        })?;
        let pool = Self::empty(dial, scheme, make);
        let mut watcher = discovery.watch(name).await?;
        pool.update(watcher.next().await?);
        let weak: Weak<Pool<H>> = Arc::downgrade(&pool);
        let task = tokio::spawn(async move {
            loop {
                let next = watcher.next().await;
                let Some(pool) = weak.upgrade() else { return };
                match next {
                    Ok(list) => pool.update(list),
                    Err(e) => {
                        tracing::warn!(target = %pool.target, "discovery watch ended: {}", e.message());
                        return;
                    }
                }
            }
        });
        *pool.watch.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(AbortOnDrop(task));
        Ok(pool)
    }

    /// Replaces the nodes with those of `instances` (filtered), keeping the
    /// state (connection, EWMA) of nodes that stay.
    fn update(&self, instances: Vec<ServiceInstance>) {
        let old = self.snapshot();
        let mut next: Vec<Arc<Node<H>>> = Vec::new();
        for inst in &instances {
            if let Some(f) = &self.filter {
                if !f(inst) {
                    continue;
                }
            }
            let Some((addr, tls)) = inst.endpoint_with_tls(self.scheme) else { continue };
            if next.iter().any(|n| n.addr == addr) {
                continue;
            }
            let weight = inst.metadata.get("weight").and_then(|w| w.parse().ok()).unwrap_or(100);
            match old.iter().find(|n| n.addr == addr && n.tls == tls && n.weight == weight.max(1)) {
                Some(n) => next.push(n.clone()),
                None => match (self.make)(addr, tls) {
                    Ok(handle) => next.push(Arc::new(Node::new(addr.to_owned(), tls, handle, weight))),
                    Err(e) => tracing::warn!(target = %self.target, "skipping node {addr}: {}", e.message()),
                },
            }
        }
        let addrs: Vec<&str> = next.iter().map(|n| n.addr.as_str()).collect();
        tracing::debug!(target = %self.target, "nodes: {}", addrs.join(", "));
        *self.nodes.write().unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::from(next);
    }

    /// Picks a node for a call, skipping `tried` (nodes that refused this
    /// call already) and, while others are up, nodes out of rotation.
    pub fn pick(&self, tried: &[Arc<Node<H>>]) -> Result<Picked<H>, Error> {
        let all = self.snapshot();
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        let fresh: Vec<&Arc<Node<H>>> = all.iter().filter(|n| !tried.iter().any(|t| Arc::ptr_eq(t, n))).collect();
        let up: Vec<&Arc<Node<H>>> =
            fresh.iter().copied().filter(|n| n.down_until_ms.load(Ordering::Relaxed) <= now_ms).collect();
        let candidates = if up.is_empty() { fresh } else { up };
        let node = match candidates.len() {
            0 => {
                return Err(Error::service_unavailable(
                    NO_AVAILABLE_NODE,
                    format!("no available node for {}", self.target),
                ))
            }
            1 => candidates[0].clone(),
            n => match self.balancer {
                Balancer::P2cEwma => {
                    let a = fastrand::usize(..n);
                    let mut b = fastrand::usize(..n - 1);
                    if b >= a {
                        b += 1;
                    }
                    let (a, b) = (candidates[a], candidates[b]);
                    let now_ns = self.epoch.elapsed().as_nanos() as u64;
                    if a.load(now_ns) <= b.load(now_ns) {
                        a.clone()
                    } else {
                        b.clone()
                    }
                }
                Balancer::WeightedRoundRobin => {
                    let _guard = self.wrr.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                    let total: i64 = candidates.iter().map(|n| n.weight).sum();
                    let mut best = candidates[0];
                    let mut best_w = i64::MIN;
                    for n in &candidates {
                        let w = n.current.fetch_add(n.weight, Ordering::Relaxed) + n.weight;
                        if w > best_w {
                            best_w = w;
                            best = n;
                        }
                    }
                    best.current.fetch_sub(total, Ordering::Relaxed);
                    best.clone()
                }
            },
        };
        node.inflight.fetch_add(1, Ordering::Relaxed);
        Ok(Picked { node, start: Instant::now(), epoch: self.epoch, reported: false })
    }

    /// How many nodes there are now.
    pub fn len(&self) -> usize {
        self.snapshot().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_nodes() -> Arc<Pool<String>> {
        let make: MakeNode<String> = Arc::new(|addr: &str, _tls: bool| Ok(addr.to_owned()));
        let list = ["127.0.0.1:1".to_owned(), "127.0.0.1:2".to_owned()];
        Pool::direct(&Dial::new("direct:///127.0.0.1:1,127.0.0.1:2"), &list, "grpc", make)
    }

    #[test]
    fn a_call_dropped_before_its_end_leaves_the_flight_and_makes_its_node_look_slow() {
        let pool = two_nodes();
        // Both nodes answered once (the connection's call, not a sample) and
        // then quickly.
        for _ in 0..8 {
            let picked = pool.pick(&[]).unwrap();
            picked.done(false);
        }
        let abandoned = pool.pick(&[]).unwrap();
        let slow = Arc::clone(&abandoned.node);
        std::thread::sleep(Duration::from_millis(30));
        drop(abandoned); // its deadline passed
        assert_eq!(slow.inflight.load(Ordering::Relaxed), 0, "the abandoned call is not in flight");
        assert!(slow.ewma_ns.load(Ordering::Relaxed) >= 1_000_000, "its time is a sample");
        // The balancer now prefers the other node (both are always the two
        // p2c candidates).
        for _ in 0..20 {
            let picked = pool.pick(&[]).unwrap();
            assert!(!Arc::ptr_eq(&picked.node, &slow), "picked the node that made a call miss its deadline");
            picked.done(false);
        }
    }

    #[test]
    fn a_first_call_that_never_ends_is_a_sample_too() {
        let pool = two_nodes();
        let first = pool.pick(&[]).unwrap();
        let node = Arc::clone(&first.node);
        std::thread::sleep(Duration::from_millis(5));
        drop(first);
        assert!(node.ewma_ns.load(Ordering::Relaxed) > 0, "a node that never answered is not `no sample yet`");
        assert_eq!(node.inflight.load(Ordering::Relaxed), 0);
    }
}
