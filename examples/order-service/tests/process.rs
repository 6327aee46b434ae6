//! The order-service and the user-service as real processes on free loopback
//! ports: orders reach the user-service through `discovery:///user-service`,
//! on the static registry (the default, nothing installed) and on a real
//! etcd; errors of the user-service come back as order errors or as 503.

#[path = "../../../tests/src/etcd.rs"]
#[allow(dead_code)] // the registry tests use all of it; this file part
mod etcd;

mod support;

use std::time::{Duration, Instant};

use order_service::api::*;
use support::*;

/// An order-service config listing one user-service instance on the static
/// registry.
fn static_registry(id: &str, users: &Proc) -> String {
    format!(
        "registry:\n  kind: static\n  services:\n    user-service:\n      - id: {id}\n        endpoints: [grpc://127.0.0.1:{}, http://127.0.0.1:{}]\n",
        users.grpc, users.http
    )
}

#[tokio::test]
async fn orders_find_the_user_service_on_the_static_registry() {
    let dir = temp_dir("static");
    let users = user_service(&dir, &[], None);
    let conf = dir.join("order.yaml");
    std::fs::write(&conf, static_registry("u1", &users)).unwrap();
    let orders = order_service(&dir, &conf);
    let order = tutorial(&users, &orders).await;

    // The user-service goes away: the details are 503, not a hang.
    users.stop();
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let details = || http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.clone() });
    let started = Instant::now();
    let err = details().await.unwrap_err();
    assert_eq!(err.code(), 503, "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // Another user-service (same database) elsewhere; the config file is
    // edited to list it, and the running order-service follows the reload.
    let moved = user_service(&dir, &[], None);
    std::fs::write(&conf, static_registry("u2", &moved)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match details().await {
            Ok(d) => {
                assert_eq!(d.user.unwrap().name, "Ann");
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "the reload was not followed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    orders.stop();
}

#[tokio::test]
async fn a_config_file_emptied_deleted_or_unreadable_keeps_the_running_config() {
    let dir = temp_dir("vanishing-conf");
    let users = user_service(&dir, &[], None);
    let conf = dir.join("order.yaml");
    std::fs::write(&conf, static_registry("u1", &users)).unwrap();
    let log = dir.join("orders.log");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_order-service"));
    let orders = Proc::spawn_logging(bin, &dir, &[], Some(&conf), std::fs::File::create(&log).unwrap().into());
    let order = tutorial(&users, &orders).await;
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let failures = || std::fs::read_to_string(&log).unwrap().matches("configuration reload failed").count();

    // Each way the file goes bad while the service runs: the registry it
    // had stays (the user-service is still found), one error per change.
    let steps: [(&str, &dyn Fn()); 3] = [
        ("emptied", &|| std::fs::write(&conf, "").unwrap()),
        ("deleted", &|| std::fs::remove_file(&conf).unwrap()),
        ("made a folder", &|| std::fs::create_dir(&conf).unwrap()),
    ];
    for (n, (what, step)) in steps.iter().enumerate() {
        step();
        let deadline = Instant::now() + Duration::from_secs(10);
        while failures() <= n {
            assert!(Instant::now() < deadline, "{what}: no error logged");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(failures(), n + 1, "{what}: one error per change");
        let details = http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.clone() }).await;
        assert_eq!(details.unwrap_or_else(|e| panic!("{what}: {e}")).user.unwrap().name, "Ann");
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("is empty") && text.contains("no longer a file"), "{text}");
    orders.stop();
}

#[tokio::test]
async fn orders_find_the_user_service_in_etcd() {
    let Some(etcd) = etcd::Etcd::start("order-service") else { return };
    let dir = temp_dir("etcd");
    let conf = dir.join("registry.yaml");
    std::fs::write(&conf, format!("registry:\n  kind: etcd\n  etcd:\n    endpoints: [{}]\n    ttl: 5s\n", etcd.url()))
        .unwrap();
    let users = user_service(&dir, &[], Some(&conf));
    let orders = order_service(&dir, &conf);
    let order = tutorial(&users, &orders).await;

    // Stopped, the user-service deregisters: at once 503 NO_AVAILABLE_NODE.
    users.stop();
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let err =
            http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.clone() }).await.unwrap_err();
        assert_eq!(err.code(), 503, "{err}");
        if err.reason() == "NO_AVAILABLE_NODE" {
            break;
        }
        assert!(Instant::now() < deadline, "the order-service never saw the user-service leave: {err}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    orders.stop();
}

/// The config kept in etcd (`BIA_CONFIG_ETCD`, keys under
/// `/configs/order-service/`): the static registry listed there is changed
/// in etcd and the running order-service follows, without a restart.
#[cfg(feature = "etcd")]
#[tokio::test]
async fn the_registry_changed_in_etcd_is_followed_without_a_restart() {
    let Some(etcd) = etcd::Etcd::start("order-service-config") else { return };
    let dir = temp_dir("etcd-config");
    let users = user_service(&dir, &[], None);
    etcd.put("/configs/order-service/config.yaml", &static_registry("u1", &users));
    let orders = Proc::spawn(
        std::path::Path::new(env!("CARGO_BIN_EXE_order-service")),
        &dir,
        &[("BIA_CONFIG_ETCD", etcd.url())],
        None,
    );
    let order = tutorial(&users, &orders).await;

    // The user-service moves; until etcd says so the details are 503.
    users.stop();
    let moved = user_service(&dir, &[], None);
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let details = || http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.clone() });
    let err = details().await.unwrap_err();
    assert_eq!(err.code(), 503, "{err}");

    // A later key under the prefix overrides the first: the order-service
    // reloads and reaches the moved user-service.
    etcd.put("/configs/order-service/zz-moved.yaml", &static_registry("u2", &moved));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match details().await {
            Ok(d) => {
                assert_eq!(d.user.unwrap().name, "Ann");
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "the change in etcd was not followed: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    orders.stop();
}

#[tokio::test]
async fn an_instance_that_accepts_and_never_answers_is_failed_over_within_the_timeout_and_alone_opens_the_breaker() {
    let dir = temp_dir("black-hole");
    let users = user_service(&dir, &[], None);
    // A black hole: accepts connections, never reads or answers.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hole_port = hole.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((s, _)) = hole.accept() {
            held.push(s);
        }
    });
    let instance = |id: &str, grpc: u16, http: u16| {
        format!("      - id: {id}\n        endpoints: [grpc://127.0.0.1:{grpc}, http://127.0.0.1:{http}]\n")
    };
    let (hole, live) = (instance("hole", hole_port, hole_port), instance("u1", users.grpc, users.http));
    let config = |instances: &str| {
        format!(
            "users:\n  target: discovery:///user-service\n  timeout: 1s\n  attempt_timeout: 300ms\n  breaker: {{request: 5, success: 0.6}}\n\
             registry:\n  kind: static\n  services:\n    user-service:\n{instances}"
        )
    };
    let conf = dir.join("order.yaml");
    std::fs::write(&conf, config(&format!("{hole}{live}"))).unwrap();
    let orders = order_service(&dir, &conf);
    let order = tutorial(&users, &orders).await;

    // Every call succeeds within its timeout; after the black hole made an
    // attempt miss its 300 ms, the balancer leaves it alone.
    let http = OrderApiHttpClient::new(format!("http://127.0.0.1:{}", orders.http)).unwrap();
    let details = || http.get_order_details_with_user(GetOrderDetailsWithUserRequest { id: order.clone() });
    let mut waited = 0;
    for i in 0..30 {
        let started = Instant::now();
        let d = details().await.unwrap_or_else(|e| panic!("call {i}: {e}"));
        assert_eq!(d.user.unwrap().name, "Ann");
        let took = started.elapsed();
        assert!(took < Duration::from_secs(1), "call {i} took {took:?}, past its timeout");
        if took >= Duration::from_millis(300) {
            waited += 1;
        }
    }
    assert!(waited <= 2, "{waited} of 30 calls waited for the black hole");

    // Only the black hole is left: calls time out (504), then the breaker
    // refuses them at once (503 CIRCUITBREAKER).
    std::fs::write(&conf, config(&hole)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut timed_out = 0;
    loop {
        let started = Instant::now();
        let result = details().await;
        let took = started.elapsed();
        match result {
            Ok(_) => {} // the reload is not followed yet
            Err(e) if e.code() == 504 => {
                assert!(took < Duration::from_millis(1500), "a timeout after {took:?}");
                timed_out += 1;
            }
            Err(e) if e.reason() == "CIRCUITBREAKER" => {
                assert_eq!(e.code(), 503, "{e}");
                assert!(took < Duration::from_millis(200), "a refusal of the breaker took {took:?}");
                assert!(timed_out >= 1, "the breaker opened before any call failed");
                break;
            }
            Err(e) => panic!("unexpected {e} after {took:?}"),
        }
        assert!(Instant::now() < deadline, "the breaker did not open within 30 s ({timed_out} timeouts)");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    orders.stop();
}
