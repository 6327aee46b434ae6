//! Three user-service processes registered in a real etcd, behind one
//! generated client dialing `discovery:///user-service`: the load spreads
//! over all three (counted by each instance's own Prometheus scrape), a
//! graceful stop under load fails no call (deregister, then drain), and a
//! SIGKILLed instance costs no call after a one-second failover window, and
//! with etcd gone the client keeps using the instance it knows.

#[path = "../../../tests/src/etcd.rs"]
#[allow(dead_code)] // the registry tests use all of it; this file part
mod etcd;
mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bia::client::Dial;
use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
use bia::registry::Discovery;
use support::*;
use user_service::api::*;

/// The failover window after a SIGKILL: calls in flight on the killed
/// instance (and those that pick it before its connection is refused) may
/// fail; none after.
const FAILOVER_WINDOW: Duration = Duration::from_secs(1);

async fn start(dir: &Path, name: &str, conf: &Path) -> Service {
    let dir = dir.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let quiet = [("BIA_LOG__LEVEL", "warn".to_owned())];
    Service::start_args(&dir, &quiet, &["-c", conf.to_str().unwrap()]).await
}

/// `ListUsers` calls this instance's gRPC server answered, from its own
/// `/metrics`.
async fn served(svc: &Service) -> u64 {
    let (status, text) = support::get(&format!("{}/metrics", svc.http_url())).await;
    assert_eq!(status, 200, "{text}");
    text.lines()
        .filter(|l| l.starts_with("server_requests_code_total{") && l.contains("/user.v1.User/ListUsers"))
        .filter(|l| l.contains("kind=\"grpc\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// Calls `ListUsers` from 8 tasks until `stop`; returns when each call
/// finished and whether it failed.
fn load(
    client: UserApiGrpcClient,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<(Instant, Option<bia::Error>)>> {
    tokio::spawn(async move {
        let results = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (client, stop, results) = (client.clone(), stop.clone(), results.clone());
            tasks.spawn(async move {
                // Bounded: at most 20,000 calls per task.
                for _ in 0..20_000 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = client.list_users(ListUsersRequest { page: 1, page_size: 1 }).await;
                    results.lock().unwrap().push((Instant::now(), r.err()));
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        let out = std::mem::take(&mut *results.lock().unwrap());
        out
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_the_load_and_fail_over() {
    let Some(mut etcd) = etcd::Etcd::start("user-service-three") else { return };
    let dir = temp_dir("etcd-three");
    let conf = dir.join("registry.yaml");
    std::fs::write(&conf, format!("registry:\n  kind: etcd\n  etcd:\n    endpoints: [{}]\n    ttl: 2s\n", etcd.url()))
        .unwrap();
    let a = start(&dir, "a", &conf).await;
    let b = start(&dir, "b", &conf).await;
    let c = start(&dir, "c", &conf).await;

    let registry = Arc::new(EtcdRegistry::new(EtcdConfig::new([etcd.url()]).ttl(Duration::from_secs(2))).unwrap());
    let client =
        UserApiGrpcClient::dial(Dial::new("discovery:///user-service").discovery(registry.clone())).await.unwrap();
    let listed = registry.get_service("user-service").await.unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert!(listed.iter().all(|i| i.endpoints.iter().any(|e| e.starts_with("grpc://127.0.0.1:"))), "{listed:?}");

    // Spread: 600 calls; each instance answers at least 10% of them.
    let before = [served(&a).await, served(&b).await, served(&c).await];
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let client = client.clone();
        tasks.spawn(async move {
            for _ in 0..75 {
                client.list_users(ListUsersRequest { page: 1, page_size: 1 }).await.unwrap();
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let after = [served(&a).await, served(&b).await, served(&c).await];
    let share: Vec<u64> = after.iter().zip(before).map(|(x, y)| x - y).collect();
    assert_eq!(share.iter().sum::<u64>(), 600, "{share:?}");
    assert!(share.iter().all(|n| *n >= 60), "the load did not spread: {share:?}");

    // A graceful stop under load: not one call fails.
    let running = load(client.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    b.sigterm();
    let (status, _) = tokio::task::spawn_blocking(move || b.wait_exit()).await.unwrap();
    assert!(status.success(), "{status}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let results = running.await.unwrap();
    let failed: Vec<&bia::Error> = results.iter().filter_map(|(_, e)| e.as_ref()).collect();
    assert!(results.len() > 100, "too few calls to tell: {}", results.len());
    assert!(
        failed.is_empty(),
        "{} of {} calls failed during a graceful stop: {:?}",
        failed.len(),
        results.len(),
        failed.first()
    );

    // SIGKILL under load: after the failover window, no call fails; the
    // instance leaves the registry when its lease runs out.
    stop.store(false, Ordering::Relaxed);
    let running = load(client.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut c = c;
    c.child.kill().unwrap();
    let killed = Instant::now();
    tokio::time::sleep(FAILOVER_WINDOW + Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let results = running.await.unwrap();
    let late: Vec<&bia::Error> = results
        .iter()
        .filter(|(at, e)| e.is_some() && *at > killed + FAILOVER_WINDOW)
        .filter_map(|(_, e)| e.as_ref())
        .collect();
    let after_window = results.iter().filter(|(at, _)| *at > killed + FAILOVER_WINDOW).count();
    assert!(after_window > 100, "too few calls after the window to tell: {after_window}");
    assert!(late.is_empty(), "{} calls failed after the failover window: {:?}", late.len(), late.first());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ids = registry.get_service("user-service").await.unwrap();
        if ids.len() == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the killed instance stayed registered: {ids:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // etcd goes away: the client keeps calling the instance it knows.
    etcd.kill();
    for _ in 0..50 {
        client.list_users(ListUsersRequest { page: 1, page_size: 1 }).await.unwrap();
    }
    drop(a);
}
