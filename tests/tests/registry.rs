//! Registry and discovery in one process, on real servers: the static
//! registry, an App registering and deregistering itself, generated clients
//! dialing `discovery:///` and `direct:///` on both transports, balancing,
//! node filters, failover and `NO_AVAILABLE_NODE`.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bia::client::{Balancer, Dial};
use bia::registry::{Discovery, Registrar, ServiceInstance, StaticRegistry};
use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;

#[bia::message(package = "who.v1")]
pub struct WhoRequest {
    pub caller: String,
}

#[bia::message(package = "who.v1")]
pub struct WhoReply {
    pub instance: String,
}

/// Says which instance answered.
#[bia::service(package = "who.v1")]
pub trait Who: Send + Sync + 'static {
    #[rpc(get = "/v1/who/<caller>")]
    async fn who(&self, req: WhoRequest) -> bia::Result<WhoReply>;
}

#[derive(Clone)]
struct Instance(String);

impl Who for Instance {
    async fn who(&self, _req: WhoRequest) -> bia::Result<WhoReply> {
        Ok(WhoReply { instance: self.0.clone() })
    }
}

fn loopback() -> std::net::SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

/// Starts instance `id` of `who`, registered in `registry`.
async fn start(id: &str, version: &str, weight: Option<u32>, registry: &Arc<StaticRegistry>) -> bia::Running {
    let svc = WhoServer::new(Instance(id.to_owned()));
    let mut app = bia::App::new("who")
        .id(id)
        .version(version)
        .http(HttpServer::new(loopback()).service(svc.clone()))
        .grpc(GrpcServer::new(loopback()).service(svc))
        .registrar(registry.clone())
        .signals(false);
    if let Some(w) = weight {
        app = app.metadata("weight", w.to_string());
    }
    app.start().await.unwrap()
}

/// `calls` calls, `CONCURRENCY` at a time: which instance answered each.
async fn tally<C: Who + Clone + 'static>(client: &C, calls: usize) -> BTreeMap<String, usize> {
    const CONCURRENCY: usize = 8;
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..CONCURRENCY {
        let client = client.clone();
        let n = calls / CONCURRENCY + usize::from(w < calls % CONCURRENCY);
        tasks.spawn(async move {
            let mut seen = Vec::with_capacity(n);
            for _ in 0..n {
                seen.push(client.who(WhoRequest { caller: "t".into() }).await.unwrap().instance);
            }
            seen
        });
    }
    let mut out = BTreeMap::new();
    while let Some(seen) = tasks.join_next().await {
        for instance in seen.unwrap() {
            *out.entry(instance).or_default() += 1;
        }
    }
    out
}

async fn tally_grpc(client: &WhoGrpcClient, calls: usize) -> BTreeMap<String, usize> {
    tally(client, calls).await
}

async fn tally_http(client: &WhoHttpClient, calls: usize) -> BTreeMap<String, usize> {
    tally(client, calls).await
}

/// Waits (bounded) until `cond` holds for the registry's view of `who`.
async fn wait_for(registry: &StaticRegistry, cond: impl Fn(&[ServiceInstance]) -> bool) {
    for _ in 0..100 {
        if cond(&registry.get_service("who").await.unwrap()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the registry never reached the expected state");
}

#[tokio::test]
async fn an_app_registers_once_serving_and_deregisters_before_draining() {
    let registry = Arc::new(StaticRegistry::new());
    let running = start("a", "v1", None, &registry).await;
    let found = registry.get_service("who").await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "a");
    assert_eq!(found[0].version, "v1");
    assert_eq!(
        found[0].endpoints,
        [format!("http://{}", running.http_addrs()[0]), format!("grpc://{}", running.grpc_addrs()[0])]
    );
    running.stop().await.unwrap();
    assert!(registry.get_service("who").await.unwrap().is_empty());
}

#[tokio::test]
async fn discovery_clients_spread_calls_over_every_instance_and_follow_changes() {
    let registry = Arc::new(StaticRegistry::new());
    let a = start("a", "v1", None, &registry).await;
    let b = start("b", "v1", None, &registry).await;
    let c = start("c", "v1", None, &registry).await;
    let dial = Dial::new("discovery:///who").discovery(registry.clone());
    let grpc = WhoGrpcClient::dial(dial.clone()).await.unwrap();
    let http = WhoHttpClient::dial(dial).await.unwrap();

    // p2c: every instance takes part. Not an even share: p2c-EWMA prefers
    // the node whose latency average is lowest, and on one machine a single
    // slow early sample (a scheduler hiccup) can keep a node the slower one
    // for longer than 300 back-to-back calls last (the average's time
    // constant is 600 ms). A node with no sample yet is preferred, so each
    // one is probed at least twice.
    for tally in [tally_grpc(&grpc, 300).await, tally_http(&http, 300).await] {
        assert_eq!(tally.keys().collect::<Vec<_>>(), ["a", "b", "c"], "{tally:?}");
        assert!(tally.values().all(|n| *n >= 2), "{tally:?}");
        assert_eq!(tally.values().sum::<usize>(), 300, "{tally:?}");
    }

    // A graceful stop deregisters first: the clients stop picking it.
    c.stop().await.unwrap();
    wait_for(&registry, |l| l.len() == 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    for tally in [tally_grpc(&grpc, 100).await, tally_http(&http, 100).await] {
        assert_eq!(tally.keys().collect::<Vec<_>>(), ["a", "b"], "{tally:?}");
    }

    // A new instance joins the rotation.
    let d = start("d", "v1", None, &registry).await;
    wait_for(&registry, |l| l.len() == 3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let tally = tally_grpc(&grpc, 200).await;
    assert!(tally.contains_key("d"), "{tally:?}");

    // Nobody left: at once 503 / Unavailable, NO_AVAILABLE_NODE.
    for r in [a, b, d] {
        r.stop().await.unwrap();
    }
    wait_for(&registry, <[ServiceInstance]>::is_empty).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let err = grpc.who(WhoRequest { caller: "t".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "NO_AVAILABLE_NODE"), "{err}");
    assert_eq!(err.grpc_code(), tonic::Code::Unavailable);
    let err = http.who(WhoRequest { caller: "t".into() }).await.unwrap_err();
    assert_eq!((err.code(), err.reason()), (503, "NO_AVAILABLE_NODE"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "waited instead of failing");
}

#[tokio::test]
async fn weighted_round_robin_follows_the_weights() {
    let registry = Arc::new(StaticRegistry::new());
    let _a = start("a", "v1", Some(300), &registry).await;
    let _b = start("b", "v1", Some(100), &registry).await;
    let dial = Dial::new("discovery:///who").discovery(registry.clone()).balancer(Balancer::WeightedRoundRobin);
    let grpc = WhoGrpcClient::dial(dial).await.unwrap();
    // Smooth WRR is exact: 3 of every 4 calls go to `a`.
    let tally = tally_grpc(&grpc, 400).await;
    assert_eq!(tally, BTreeMap::from([("a".to_owned(), 300), ("b".to_owned(), 100)]));
}

#[tokio::test]
async fn a_node_filter_selects_by_version() {
    let registry = Arc::new(StaticRegistry::new());
    let _a = start("a", "v1", None, &registry).await;
    let _b = start("b", "v2", None, &registry).await;
    let http =
        WhoHttpClient::dial(Dial::new("discovery:///who").discovery(registry.clone()).version("v2")).await.unwrap();
    assert_eq!(tally_http(&http, 50).await, BTreeMap::from([("b".to_owned(), 50)]));
}

#[tokio::test]
async fn a_refused_node_is_skipped_without_failing_the_call() {
    // Two servers behind a direct list; one is stopped without telling
    // anyone: its connections are refused, and every call still succeeds.
    let registry = Arc::new(StaticRegistry::new());
    let a = start("a", "v1", None, &registry).await;
    let b = start("b", "v1", None, &registry).await;
    let grpc_list = format!("direct:///{},{}", a.grpc_addrs()[0], b.grpc_addrs()[0]);
    let http_list = format!("direct:///{},{}", a.http_addrs()[0], b.http_addrs()[0]);
    let grpc = WhoGrpcClient::connect(grpc_list).await.unwrap();
    let http = WhoHttpClient::new(http_list).unwrap();
    assert_eq!(tally_grpc(&grpc, 100).await.len(), 2);
    assert_eq!(tally_http(&http, 100).await.len(), 2);
    b.stop().await.unwrap();
    assert_eq!(tally_grpc(&grpc, 100).await, BTreeMap::from([("a".to_owned(), 100)]));
    assert_eq!(tally_http(&http, 100).await, BTreeMap::from([("a".to_owned(), 100)]));
    a.stop().await.unwrap();
}

#[tokio::test]
async fn the_static_registry_follows_config_and_explains_bad_targets() {
    let registry = Arc::new(StaticRegistry::from_config(BTreeMap::from([(
        "who".to_owned(),
        vec![ServiceInstance::new("", "cfg-1").endpoint("grpc://127.0.0.1:1")],
    )])));
    let mut watch = registry.watch("who").await.unwrap();
    let first = watch.next().await.unwrap();
    assert_eq!((first[0].name.as_str(), first[0].id.as_str()), ("who", "cfg-1"));
    // A config reload replaces the configured instances; the watcher sees it.
    registry.set(BTreeMap::from([("who".to_owned(), vec![ServiceInstance::new("who", "cfg-2")])]));
    assert_eq!(watch.next().await.unwrap()[0].id, "cfg-2");
    // Registered instances add to the configured ones.
    registry.register(&ServiceInstance::new("who", "live")).await.unwrap();
    let ids: Vec<String> = watch.next().await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(ids, ["cfg-2", "live"]);

    let err = WhoGrpcClient::connect("discovery:///who").await.unwrap_err();
    assert_eq!(err.reason(), "BAD_ENDPOINT");
    assert!(err.message().contains("needs a discovery"), "{err}");
    let err = WhoHttpClient::new("direct:///").unwrap_err();
    assert_eq!(err.reason(), "BAD_ENDPOINT");
    let err = WhoHttpClient::new("ftp://x").unwrap_err();
    assert_eq!(err.reason(), "BAD_ENDPOINT");
}
