//! The etcd registry against a real etcd (started on free loopback ports):
//! register, discover, watch, deregister; an etcd that comes back empty gets
//! the instance again; clients keep the last known instances while etcd is
//! down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bia::registry::etcd::{EtcdConfig, EtcdRegistry};
use bia::registry::{Discovery, Registrar, ServiceInstance};
use bia_tests::etcd::Etcd;

fn registry(etcd: &Etcd, ttl: Duration) -> Arc<EtcdRegistry> {
    let config = EtcdConfig::new([etcd.url()]).ttl(ttl).namespace("/bia-test");
    Arc::new(EtcdRegistry::new(config).unwrap())
}

async fn eventually(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if cond().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn ids(list: &[ServiceInstance]) -> Vec<&str> {
    list.iter().map(|i| i.id.as_str()).collect()
}

#[tokio::test]
async fn register_discover_watch_deregister() {
    let Some(etcd) = Etcd::start("register") else { return };
    let reg = registry(&etcd, Duration::from_secs(10));
    let a = ServiceInstance::new("greeter", "a").version("v1").endpoint("grpc://127.0.0.1:9001");
    let b =
        ServiceInstance::new("greeter", "b").version("v2").metadata("weight", "50").endpoint("grpc://127.0.0.1:9002");

    reg.register(&a).await.unwrap();
    let mut watch = reg.watch("greeter").await.unwrap();
    assert_eq!(watch.next().await.unwrap(), std::slice::from_ref(&a));

    reg.register(&b).await.unwrap();
    let seen = watch.next().await.unwrap();
    assert_eq!(seen, [a.clone(), b.clone()], "the watch sees an added instance, metadata and all");
    assert_eq!(reg.get_service("greeter").await.unwrap(), [a.clone(), b.clone()]);

    reg.deregister(&a).await.unwrap();
    assert_eq!(ids(&watch.next().await.unwrap()), ["b"], "the watch sees a removed instance");
    assert!(reg.get_service("other").await.unwrap().is_empty());

    // A second registry (another process, as far as etcd knows) sees the same.
    let other = registry(&etcd, Duration::from_secs(10));
    assert_eq!(ids(&other.get_service("greeter").await.unwrap()), ["b"]);
    reg.deregister(&b).await.unwrap();
    assert!(watch.next().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_instance_is_registered_again_when_etcd_comes_back_empty() {
    let Some(mut etcd) = Etcd::start("comeback") else { return };
    let reg = registry(&etcd, Duration::from_secs(2));
    let a = ServiceInstance::new("greeter", "a").endpoint("grpc://127.0.0.1:9001");
    reg.register(&a).await.unwrap();

    // A client watching through another registry object.
    let watcher_side = registry(&etcd, Duration::from_secs(2));
    let mut watch = watcher_side.watch("greeter").await.unwrap();
    assert_eq!(ids(&watch.next().await.unwrap()), ["a"]);

    etcd.kill();
    // While etcd is down, the watcher keeps the last known instances.
    let during = tokio::time::timeout(Duration::from_secs(1), watch.next()).await;
    assert!(during.is_err(), "the watcher reported a change while etcd was down: {during:?}");

    // An empty etcd (everything lost): the keepalive notices and registers
    // again, without a restart of the instance.
    etcd.restart_empty();
    eventually("the instance registered again", async || {
        watcher_side.get_service("greeter").await.map(|l| ids(&l) == ["a"]).unwrap_or(false)
    })
    .await;
    // The watcher follows the new etcd: it sees the next change there.
    let b = ServiceInstance::new("greeter", "b").endpoint("grpc://127.0.0.1:9002");
    reg.register(&b).await.unwrap();
    eventually("the watcher sees the new etcd's instances", async || {
        match tokio::time::timeout(Duration::from_millis(500), watch.next()).await {
            Ok(Ok(list)) => ids(&list) == ["a", "b"],
            _ => false,
        }
    })
    .await;
    reg.deregister(&a).await.unwrap();
    reg.deregister(&b).await.unwrap();
}

#[tokio::test]
async fn registering_with_no_etcd_fails_in_time_naming_it() {
    let Some(mut etcd) = Etcd::start("noetcd") else { return };
    etcd.kill();
    let mut config = EtcdConfig::new([etcd.url()]);
    config.timeout = Duration::from_millis(500);
    let reg = EtcdRegistry::new(config).unwrap();
    let started = Instant::now();
    let err = reg.register(&ServiceInstance::new("greeter", "a")).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "REGISTRY"));
    assert!(err.message().contains(&etcd.url()), "{err}");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(reg.get_service("greeter").await.unwrap_err().reason(), "REGISTRY");
}
