//! `cargo run -p chat`: HTTP on :8001, gRPC on :9001 (beside the user-service).
//!
//! ```text
//! curl -N "http://127.0.0.1:8001/v1/notes?limit=10"       # the history, as server-sent events
//! websocat ws://127.0.0.1:8001/v1/chat                      # join: type {"author":"ada","text":"hi"}
//! grpcurl -plaintext -d '{"author":"ada","text":"hi"}' 127.0.0.1:9001 chat.v1.Chat/Upload
//! ```

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let running = chat::app(([0, 0, 0, 0], 8001).into(), ([0, 0, 0, 0], 9001).into()).await?;
    tokio::signal::ctrl_c().await?;
    running.stop().await?;
    Ok(())
}
