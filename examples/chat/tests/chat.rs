//! The chat room on free loopback ports: members on gRPC and on a WebSocket
//! hear each other, uploads over both transports, the history over gRPC and
//! as server-sent events, and a bad note ending the call that sent it.

use std::time::Duration;

use bia::stream::Streaming;
use chat::{ChatGrpcClient, ChatHttpClient, HistoryRequest, Note};

fn note(author: &str, text: &str) -> Note {
    Note { author: author.into(), text: text.into() }
}

async fn next(s: &mut Streaming<Note>) -> Note {
    tokio::time::timeout(Duration::from_secs(5), s.message()).await.expect("a note in time").unwrap().expect("a note")
}

#[tokio::test]
async fn members_on_both_transports_hear_each_other() {
    let any: std::net::SocketAddr = ([127, 0, 0, 1], 0).into();
    let running = chat::app(any, any).await.unwrap();
    let grpc = ChatGrpcClient::connect(format!("http://{}", running.grpc_addrs()[0])).await.unwrap();
    let http = ChatHttpClient::new(format!("http://{}", running.http_addrs()[0])).unwrap();

    // Two members: ada on gRPC, grace on a WebSocket.
    let (ada_says, ada_in) = Streaming::channel(4);
    let (grace_says, grace_in) = Streaming::channel(4);
    // A WebSocket call opens with the upgrade, before its handler runs: grace
    // is in the room once she hears her own first note.
    let mut grace_hears = http.chat(grace_in).await.unwrap();
    grace_says.send(Ok(note("grace", "joined"))).await.unwrap();
    assert_eq!(next(&mut grace_hears).await.text, "joined");
    let mut ada_hears = grpc.chat(ada_in).await.unwrap();
    ada_says.send(Ok(note("ada", "hello"))).await.unwrap();
    assert_eq!(next(&mut ada_hears).await.text, "hello");
    assert_eq!(next(&mut grace_hears).await.text, "hello");
    grace_says.send(Ok(note("grace", "hi ada"))).await.unwrap();
    assert_eq!(next(&mut ada_hears).await, note("grace", "hi ada"));
    assert_eq!(next(&mut grace_hears).await, note("grace", "hi ada"));

    // Uploads on both transports reach the members too.
    let a = grpc.upload(Streaming::iter(vec![note("bot", "one"), note("bot", "two")])).await.unwrap();
    let b = http.upload(Streaming::iter(vec![note("bot", "three")])).await.unwrap();
    assert_eq!((a.notes, b.notes), (2, 1));
    for text in ["one", "two", "three"] {
        assert_eq!(next(&mut ada_hears).await.text, text);
        assert_eq!(next(&mut grace_hears).await.text, text);
    }

    // The history, whole and the newest two, on both transports.
    let texts = |notes: Vec<Note>| notes.into_iter().map(|n| n.text).collect::<Vec<_>>();
    let mut all = grpc.history(HistoryRequest { limit: 0 }).await.unwrap();
    let mut got = Vec::new();
    while let Some(n) = all.message().await.unwrap() {
        got.push(n);
    }
    assert_eq!(texts(got), ["joined", "hello", "hi ada", "one", "two", "three"]);
    let mut last = http.history(HistoryRequest { limit: 2 }).await.unwrap();
    let mut got = Vec::new();
    while let Some(n) = last.message().await.unwrap() {
        got.push(n);
    }
    assert_eq!(texts(got), ["two", "three"]);

    // A note that breaks a rule ends the call that sent it, on both transports.
    let long = note("ada", &"x".repeat(501));
    let e = grpc.upload(Streaming::iter(vec![long.clone()])).await.unwrap_err();
    assert_eq!((e.code(), e.reason()), (400, "VALIDATOR"));
    assert_eq!(http.upload(Streaming::iter(vec![long.clone()])).await.unwrap_err(), e);
    grace_says.send(Ok(long)).await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), grace_hears.message()).await.unwrap().unwrap_err();
    assert_eq!(end, e);

    drop((ada_says, grace_says, ada_hears, grace_hears));
    running.stop().await.unwrap();
}
