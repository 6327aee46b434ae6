//! A chat room: every kind of streaming call, on gRPC and HTTP.
//!
//! - `Chat`: bidirectional. Every note you send goes to everyone in the room, and you get
//!   everyone's (a WebSocket on HTTP: `GET /v1/chat`).
//! - `Upload`: client streaming. Post many notes in one call and get how many were taken
//!   (a WebSocket on HTTP: `GET /v1/notes/upload`).
//! - `History`: server streaming. The notes so far, oldest first (server-sent events on
//!   HTTP: `curl -N localhost:8001/v1/notes?limit=10`).

use std::sync::{Arc, Mutex, PoisonError};

use bia::prelude::*;
use bia::stream::{Stream, StreamExt as _, Streaming};
use tokio::sync::broadcast;

/// One note in the room.
#[bia::message(package = "chat.v1")]
pub struct Note {
    #[validate(length(max = 64))]
    pub author: String,
    #[validate(length(max = 500))]
    pub text: String,
}

/// What `Upload` answers.
#[bia::message(package = "chat.v1")]
pub struct UploadSummary {
    /// How many notes were posted.
    pub notes: i32,
}

/// Which notes `History` streams.
#[bia::message(package = "chat.v1")]
pub struct HistoryRequest {
    /// The newest `limit` notes (0: all of them).
    #[validate(range(min = 0))]
    pub limit: i32,
}

/// The chat room.
#[bia::service(package = "chat.v1")]
pub trait Chat: Send + Sync + 'static {
    /// Joins the room: the notes you send go to everyone, and you get everyone's.
    #[rpc(get = "/v1/chat")]
    async fn chat(&self, req: Streaming<Note>) -> bia::Result<impl Stream<Item = bia::Result<Note>>>;

    /// Posts many notes in one call.
    #[rpc(get = "/v1/notes/upload")]
    async fn upload(&self, req: Streaming<Note>) -> bia::Result<UploadSummary>;

    /// The notes posted so far, oldest first.
    #[rpc(get = "/v1/notes")]
    async fn history(&self, req: HistoryRequest) -> bia::Result<impl Stream<Item = bia::Result<Note>>>;
}

/// How many notes a member may fall behind before it misses some.
const ROOM_BUFFER: usize = 1024;

/// One room, in memory.
#[derive(Clone)]
pub struct Room {
    inner: Arc<RoomInner>,
}

struct RoomInner {
    notes: Mutex<Vec<Note>>,
    live: broadcast::Sender<Note>,
}

impl Default for Room {
    fn default() -> Self {
        Self { inner: Arc::new(RoomInner { notes: Mutex::new(Vec::new()), live: broadcast::channel(ROOM_BUFFER).0 }) }
    }
}

impl Room {
    /// Keeps `note` and sends it to everyone in the room.
    fn post(&self, note: Note) {
        self.inner.notes.lock().unwrap_or_else(PoisonError::into_inner).push(note.clone());
        // Nobody in the room is fine.
        let _ = self.inner.live.send(note);
    }
}

impl Chat for Room {
    async fn chat(&self, req: Streaming<Note>) -> bia::Result<impl Stream<Item = bia::Result<Note>>> {
        let live = self.inner.live.subscribe();
        let room = self.clone();
        // What the member sends is posted (an error, such as a bad note, ends the call)...
        let sent = req.filter_map(move |note| {
            let out = match note {
                Ok(note) => {
                    room.post(note);
                    None
                }
                Err(e) => Some(Err(e)),
            };
            std::future::ready(out)
        });
        // ... and what anyone posts comes back, until the member leaves.
        let heard = bia::stream::unfold(live, |mut live| async move {
            loop {
                match live.recv().await {
                    Ok(note) => return Some((Ok(note), live)),
                    // A member too slow to keep up skips what it missed.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Ok(bia::stream::select(sent, heard))
    }

    async fn upload(&self, mut req: Streaming<Note>) -> bia::Result<UploadSummary> {
        let mut notes = 0;
        while let Some(note) = req.message().await? {
            self.post(note);
            notes += 1;
        }
        Ok(UploadSummary { notes })
    }

    async fn history(&self, req: HistoryRequest) -> bia::Result<impl Stream<Item = bia::Result<Note>>> {
        let notes = self.inner.notes.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let skip = match usize::try_from(req.limit) {
            Ok(limit) if limit > 0 => notes.len().saturating_sub(limit),
            _ => 0,
        };
        Ok(bia::stream::iter(notes.into_iter().skip(skip).map(Ok)))
    }
}

/// The chat room served on `http` and `grpc`, with the validate middleware.
pub async fn app(http: std::net::SocketAddr, grpc: std::net::SocketAddr) -> bia::Result<bia::Running> {
    let server = ChatServer::new(Room::default()).middleware(bia::middleware::validate::Validate::new());
    App::new("chat")
        .http(HttpServer::new(http).service(server.clone()))
        .grpc(GrpcServer::new(grpc).service(server))
        .start()
        .await
}
