//! What the smoke tests share: every case against the hand-written
//! servers and the Bia server, which must answer with the same bytes.

use std::net::{SocketAddr, TcpListener};

use bia_bench::load::{run, Case};

/// A free loopback port, never one handed out before in this process: the
/// smoke tests run side by side, and a port one of them picked and let go
/// could otherwise be picked again by the other before its server binds it.
fn free() -> SocketAddr {
    static TAKEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let addr = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
        let mut taken = TAKEN.lock().unwrap();
        if !taken.contains(&addr.port()) {
            taken.push(addr.port());
            return addr;
        }
    }
}

/// Runs every case on both sides (Bia with its default stack when `stack`).
pub async fn same_replies(stack: bool) {
    let (axum_addr, tonic_addr, bia_http, bia_grpc) = (free(), free(), free(), free());
    let (tx, rx) = tokio::sync::watch::channel(false);
    let stop = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|v| *v).await;
    };
    let axum_task = tokio::spawn(bia_bench::raw_axum::serve(axum_addr, stop(rx.clone())));
    let tonic_task = tokio::spawn(bia_bench::raw_tonic::serve(tonic_addr, stop(rx.clone())));
    let (app, _log) = if stack {
        let (app, log) = bia_bench::with_bia::app_with_default_stack(bia_http, bia_grpc, "off").unwrap();
        (app, Some(log))
    } else {
        (bia_bench::with_bia::app(bia_http, bia_grpc), None)
    };
    let running = app.start().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    for case in Case::ALL.into_iter().chain(Case::STREAMS) {
        let (raw, bia) = if case.is_grpc() {
            (format!("http://{tonic_addr}"), format!("http://{bia_grpc}"))
        } else {
            (format!("http://{axum_addr}"), format!("http://{bia_http}"))
        };
        // One request first, alone, so both servers answer the same request.
        let a = run(case, &raw, 1, 1).await.unwrap_or_else(|e| panic!("hand-written: {e}"));
        let b = run(case, &bia, 1, 1).await.unwrap_or_else(|e| panic!("bia: {e}"));
        // Creates get the next id of each server's store; compare the rest.
        let same_shape = |s: &str| {
            let mut out = String::new();
            let mut digits = false;
            for ch in s.chars() {
                if ch.is_ascii_digit() {
                    if !digits {
                        out.push('#');
                    }
                    digits = true;
                } else {
                    digits = false;
                    out.push(ch);
                }
            }
            out
        };
        if matches!(case, Case::HttpPost | Case::GrpcCreate) {
            assert_eq!(same_shape(&a.sample), same_shape(&b.sample), "{}", case.name());
        } else {
            assert_eq!(a.sample, b.sample, "{}", case.name());
        }
        // Then a few hundred concurrent ones (messages over streams), every
        // reply checked.
        run(case, &raw, 300, 8).await.unwrap_or_else(|e| panic!("hand-written: {e}"));
        run(case, &bia, 300, 8).await.unwrap_or_else(|e| panic!("bia: {e}"));
    }
    tx.send(true).unwrap();
    axum_task.await.unwrap().unwrap();
    tonic_task.await.unwrap().unwrap();
    running.stop().await.unwrap();
}
