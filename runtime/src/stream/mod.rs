//! Streams of messages: what a client-streaming or bidirectional method of a
//! service receives, and what a generated client's streaming methods return
//! ([`Streaming`]).
//!
//! A service method streams by its types, in plain Rust:
//!
//! ```
//! use bia::stream::{Stream, StreamExt as _, Streaming};
//!
//! #[bia::message(package = "chat.v1")] pub struct Note { pub text: String }
//! #[bia::message(package = "chat.v1")] pub struct Summary { pub notes: i64 }
//!
//! #[bia::service(package = "chat.v1")]
//! pub trait Chat: Send + Sync + 'static {
//!     /// Server streaming: one request, a stream of replies.
//!     async fn replay(&self, req: Note) -> bia::Result<impl Stream<Item = bia::Result<Note>>>;
//!     /// Client streaming: a stream of requests, one reply.
//!     async fn count(&self, req: Streaming<Note>) -> bia::Result<Summary>;
//!     /// Bidirectional: a stream each way.
//!     async fn echo(&self, req: Streaming<Note>) -> bia::Result<impl Stream<Item = bia::Result<Note>>>;
//! }
//!
//! struct Room;
//!
//! impl Chat for Room {
//!     async fn replay(&self, req: Note) -> bia::Result<impl Stream<Item = bia::Result<Note>>> {
//!         Ok(Streaming::iter([req.clone(), req]))
//!     }
//!     async fn count(&self, mut req: Streaming<Note>) -> bia::Result<Summary> {
//!         let mut notes = 0;
//!         while let Some(_note) = req.message().await? {
//!             notes += 1;
//!         }
//!         Ok(Summary { notes })
//!     }
//!     async fn echo(&self, req: Streaming<Note>) -> bia::Result<impl Stream<Item = bia::Result<Note>>> {
//!         Ok(req.map(|note| note.map(|n| Note { text: n.text.to_uppercase() })))
//!     }
//! }
//! ```

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Builders of streams for handlers to return (from futures-util).
pub use futures_util::stream::{empty, iter, once, repeat_with, select, unfold};
pub use futures_util::stream::{Stream, StreamExt};

use crate::error::Error;

/// A stream of messages of type `T`, each a `bia::Result<T>`: the incoming
/// side of a client-streaming or bidirectional call on a server, the
/// replies of a streaming call on a client.
///
/// The first error ends it: after an `Err` it yields `None`. Make one from
/// any stream or iterator to call a client's streaming method:
///
/// ```
/// use bia::stream::{StreamExt as _, Streaming};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
/// let mut notes = Streaming::iter(["a", "b"]);
/// assert_eq!(notes.message().await?, Some("a"));
/// assert_eq!(notes.next().await.transpose()?, Some("b"));
/// assert_eq!(notes.message().await?, None);
/// # Ok(()) }
/// ```
pub struct Streaming<T> {
    inner: Inner<T>,
    done: bool,
}

// Large by tonic's stream, on purpose: a `Streaming` is made once per call
// and moved into the handler once; inline, it costs no allocation of its own.
#[allow(clippy::large_enum_variant)]
enum Inner<T> {
    /// Any stream of results.
    Boxed(Pin<Box<dyn Stream<Item = Result<T, Error>> + Send>>),
    /// A gRPC request stream as tonic decodes it (a server's client or
    /// bidirectional stream), polled directly: per message, no call through
    /// a vtable and no adapter moving the message once more. `error` makes
    /// a decoding failure Bia's (the transport's rule, given by it).
    Grpc(tonic::Streaming<T>, fn(&tonic::Status) -> Error),
}

impl<T> fmt::Debug for Streaming<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Streaming").field("done", &self.done).finish_non_exhaustive()
    }
}

impl<T: 'static> Streaming<T> {
    /// A stream of results (an `Err` ends it).
    pub fn new<S>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, Error>> + Send + 'static,
    {
        Self { inner: Inner::Boxed(Box::pin(stream)), done: false }
    }

    /// The messages tonic decodes from a gRPC request, each decoding
    /// failure made an error by `error`.
    pub(crate) fn grpc(stream: tonic::Streaming<T>, error: fn(&tonic::Status) -> Error) -> Self {
        Self { inner: Inner::Grpc(stream, error), done: false }
    }

    /// A stream of results whose errors convert into `bia::Error`.
    pub fn from_results<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<T, E>> + Send + 'static,
        E: Into<Error> + 'static,
    {
        Self::new(stream.map(|r| r.map_err(Into::into)))
    }

    /// A stream of messages that cannot fail.
    pub fn from_stream<S>(stream: S) -> Self
    where
        S: Stream<Item = T> + Send + 'static,
    {
        Self::new(stream.map(Ok))
    }

    /// The messages of an iterator.
    ///
    /// ```
    /// let notes = bia::stream::Streaming::iter(vec![1, 2, 3]);
    /// # drop(notes);
    /// ```
    pub fn iter<I>(messages: I) -> Self
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: Send + 'static,
    {
        Self::from_stream(futures_util::stream::iter(messages))
    }

    /// A stream fed by the returned sender, `buffer` messages ahead of the
    /// reader at most (the sender waits when the reader is that far
    /// behind). It ends when every sender is dropped.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> bia::Result<()> {
    /// let (tx, mut rx) = bia::stream::Streaming::channel(8);
    /// tx.send(Ok("hello")).await.unwrap();
    /// drop(tx);
    /// assert_eq!(rx.message().await?, Some("hello"));
    /// assert_eq!(rx.message().await?, None);
    /// # Ok(()) }
    /// ```
    pub fn channel(buffer: usize) -> (tokio::sync::mpsc::Sender<Result<T, Error>>, Self)
    where
        T: Send,
    {
        let (tx, mut rx) = tokio::sync::mpsc::channel(buffer.max(1));
        let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (tx, Self::new(stream))
    }
}

impl<T> Streaming<T> {
    /// The next message; `Ok(None)` once the stream has ended.
    pub async fn message(&mut self) -> Result<Option<T>, Error> {
        self.next().await.transpose()
    }
}

impl<T> Stream for Streaming<T> {
    type Item = Result<T, Error>;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = match &mut self.inner {
            Inner::Boxed(stream) => stream.as_mut().poll_next(cx),
            Inner::Grpc(stream, error) => match Pin::new(stream).poll_next(cx) {
                // The common case first: a message, passed on as it came.
                Poll::Ready(Some(Ok(message))) => return Poll::Ready(Some(Ok(message))),
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(status))) => Poll::Ready(Some(Err(decoding_failed(*error, &status)))),
                Poll::Ready(None) => Poll::Ready(None),
            },
        };
        if matches!(item, Poll::Ready(Some(Err(_)) | None)) {
            self.done = true;
        }
        item
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.inner {
            _ if self.done => (0, Some(0)),
            Inner::Boxed(stream) => stream.size_hint(),
            Inner::Grpc(stream, _) => stream.size_hint(),
        }
    }
}

impl<T> Unpin for Streaming<T> {}

/// A gRPC request stream's failure made Bia's (kept out of the message's
/// path).
#[cold]
#[inline(never)]
fn decoding_failed(error: fn(&tonic::Status) -> Error, status: &tonic::Status) -> Error {
    error(status)
}
