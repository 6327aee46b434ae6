//! Starting fails cleanly, before anything serves: a route or service added
//! twice, or an address in use, is an error naming the culprit, not a panic.

use std::net::SocketAddr;

use bia::transport::grpc::GrpcServer;
use bia::transport::http::HttpServer;
use helloworld::{GreeterServer, GreeterService};

fn any() -> SocketAddr {
    ([127, 0, 0, 1], 0).into()
}

#[tokio::test]
async fn a_route_served_twice_fails_the_start() {
    let mine = axum::Router::new().route("/helloworld/{name}", axum::routing::get(|| async { "mine" }));
    let err = bia::App::new("conflict")
        .http(HttpServer::new(any()).service(GreeterServer::new(GreeterService)).routes(mine))
        .start()
        .await
        .unwrap_err();
    assert!(err.message().contains("HTTP routes of hand-written routes conflict"), "{err}");

    let err = bia::App::new("twice")
        .grpc(
            GrpcServer::new(any())
                .service(GreeterServer::new(GreeterService))
                .service(GreeterServer::new(GreeterService)),
        )
        .start()
        .await
        .unwrap_err();
    assert!(err.message().contains("helloworld.v1.Greeter is added twice"), "{err}");
}

/// One port takes exactly one HTTP and one gRPC server; any other count
/// fails the start, saying so, before anything listens.
#[tokio::test]
async fn one_port_needs_one_server_of_each_kind() {
    let err = bia::App::new("one-port").http(HttpServer::new(any())).one_port().start().await.unwrap_err();
    assert_eq!(err.reason(), "BIND_FAILED");
    assert!(err.message().contains("one HTTP and one gRPC server (this App has 1 and 0)"), "{err}");
    let running = bia::App::new("one-port")
        .http(HttpServer::new(any()))
        .grpc(GrpcServer::new(any()).service(GreeterServer::new(GreeterService)))
        .one_port()
        .start()
        .await
        .unwrap();
    assert_eq!(running.http_addrs(), running.grpc_addrs());
    assert!(running.info().endpoints.iter().any(|e| e.starts_with("grpc://")), "{:?}", running.info().endpoints);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn an_address_in_use_fails_the_start_and_names_the_address() {
    let taken = std::net::TcpListener::bind(any()).unwrap();
    let addr = taken.local_addr().unwrap();
    let err = bia::App::new("busy")
        .http(HttpServer::new(any()).service(GreeterServer::new(GreeterService)))
        .grpc(GrpcServer::new(addr).service(GreeterServer::new(GreeterService)))
        .start()
        .await
        .unwrap_err();
    assert!(err.message().contains(&addr.to_string()), "{err}");
    assert!(err.message().contains("gRPC server cannot listen"), "{err}");
}

#[tokio::test]
async fn hand_written_routes_merge_with_generated_ones() {
    let mine = axum::Router::new().route("/version", axum::routing::get(|| async { "1.0" }));
    let running = bia::App::new("merged")
        .http(HttpServer::new(any()).service(GreeterServer::new(GreeterService)).routes(mine))
        .start()
        .await
        .unwrap();
    let base = format!("http://{}", running.http_addrs()[0]);
    assert_eq!(bia_tests::raw::http("GET", &format!("{base}/version"), "").await.text(), "1.0");
    assert_eq!(bia_tests::raw::http("GET", &format!("{base}/helloworld/x"), "").await.status, 200);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn hooks_run_in_order_and_a_failing_before_start_stops_the_start() {
    use std::sync::{Arc, Mutex};
    let log = Arc::new(Mutex::new(Vec::<&'static str>::new()));
    let push = |what: &'static str| {
        let log = Arc::clone(&log);
        move || async move {
            log.lock().unwrap().push(what);
            Ok(())
        }
    };
    let running = bia::App::new("hooks")
        .id("instance-1")
        .version("v1.2.3")
        .metadata("zone", "a")
        .http(HttpServer::new(any()).service(GreeterServer::new(GreeterService)))
        .before_start(push("before_start"))
        .after_start(push("after_start"))
        .before_stop(push("before_stop"))
        .after_stop(push("after_stop"))
        .start()
        .await
        .unwrap();
    assert_eq!(running.info().id, "instance-1");
    assert_eq!(running.info().version, "v1.2.3");
    assert_eq!(running.info().metadata["zone"], "a");
    assert_eq!(*log.lock().unwrap(), ["before_start", "after_start"]);
    running.stop().await.unwrap();
    assert_eq!(*log.lock().unwrap(), ["before_start", "after_start", "before_stop", "after_stop"]);

    let taken = std::net::TcpListener::bind(any()).unwrap();
    let err = bia::App::new("fails")
        .http(HttpServer::new(taken.local_addr().unwrap()))
        .before_start(|| async { Err(bia::Error::internal_server("DB_DOWN", "database unreachable")) })
        .start()
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "HOOK_FAILED");
    assert!(err.message().contains("before-start hook failed: database unreachable"), "{err}");

    // Two apps get distinct random ids.
    assert_ne!(bia::App::new("a").info().id, bia::App::new("a").info().id);
}

#[tokio::test]
async fn helloworld_wired_by_its_providers_serves_both_transports() {
    let app = helloworld::app(any(), any()).await.unwrap();
    let running = app.signals(false).start().await.unwrap();
    let base = format!("http://{}", running.http_addrs()[0]);
    let reply = bia_tests::raw::http("GET", &format!("{base}/helloworld/kratos"), "").await;
    assert_eq!(reply.text(), r#"{"message":"Hello kratos"}"#);
    let grpc = helloworld::GreeterGrpcClient::connect(&format!("http://{}", running.grpc_addrs()[0])).await.unwrap();
    let reply = grpc.say_hello(helloworld::HelloRequest { name: "bia".into() }).await.unwrap();
    assert_eq!(reply.message, "Hello bia");
    running.stop().await.unwrap();
}
