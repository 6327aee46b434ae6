//! The request side of a client's streaming calls: a request stream as
//! tonic sends it, and how its first error reaches the call.

use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use futures_util::task::AtomicWaker;
use tokio::sync::oneshot;

use crate::error::Error;
use crate::stream::{Stream, StreamExt as _, Streaming};

/// A request stream as tonic sends it: its messages until its first error,
/// which goes to the call (through [`Failed`]) while the stream stays open,
/// so that the server never takes a cut stream for a whole one: the call
/// is dropped (and so cancelled) with that error instead.
///
/// When the caller is gone ([`Failed`] dropped, with the replies), the
/// stream ends, so that the HTTP/2 stream is dropped on both sides and the
/// server cancels the call, even while the caller's request stream is
/// still open.
pub(super) struct Outgoing<Req> {
    stream: Streaming<Req>,
    failed: Option<oneshot::Sender<Error>>,
    gone: Arc<Gone>,
}

/// Whether the caller of a streaming call is gone, and the task to wake
/// when it goes.
#[derive(Default)]
struct Gone {
    flag: AtomicBool,
    waker: AtomicWaker,
}

/// The error of an [`Outgoing`] stream, once it fails; dropping it ends the
/// stream.
pub(super) struct Failed {
    rx: Option<oneshot::Receiver<Error>>,
    gone: Arc<Gone>,
}

impl Failed {
    /// Waits for the error; never ready when the stream does not fail.
    pub(super) fn poll_error(&mut self, cx: &mut TaskContext<'_>) -> Poll<Error> {
        let Some(rx) = &mut self.rx else { return Poll::Pending };
        match Pin::new(rx).poll(cx) {
            Poll::Ready(Ok(e)) => {
                self.rx = None;
                Poll::Ready(e)
            }
            Poll::Ready(Err(_)) => {
                self.rx = None;
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Failed {
    fn drop(&mut self) {
        self.gone.flag.store(true, Ordering::Release);
        self.gone.waker.wake();
    }
}

impl<Req> Outgoing<Req> {
    pub(super) fn new(stream: Streaming<Req>) -> (Self, Failed) {
        let (tx, rx) = oneshot::channel();
        let gone = Arc::new(Gone::default());
        (Self { stream, failed: Some(tx), gone: Arc::clone(&gone) }, Failed { rx: Some(rx), gone })
    }
}

impl<Req> Stream for Outgoing<Req> {
    type Item = Req;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Req>> {
        self.gone.waker.register(cx.waker());
        if self.gone.flag.load(Ordering::Acquire) {
            return Poll::Ready(None);
        }
        if self.failed.is_none() {
            return Poll::Pending;
        }
        match self.stream.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(msg))) => Poll::Ready(Some(msg)),
            Poll::Ready(Some(Err(e))) => {
                if let Some(tx) = self.failed.take() {
                    let _ = tx.send(e);
                }
                Poll::Pending
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The replies of a bidirectional call, ended by the first error of its
/// request stream.
pub(super) struct BidiReplies<Rep> {
    replies: tonic::Streaming<Rep>,
    failed: Failed,
    done: bool,
}

impl<Rep> BidiReplies<Rep> {
    pub(super) fn new(replies: tonic::Streaming<Rep>, failed: Failed) -> Self {
        Self { replies, failed, done: false }
    }
}

impl<Rep> Stream for BidiReplies<Rep> {
    type Item = Result<Rep, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        if let Poll::Ready(e) = self.failed.poll_error(cx) {
            self.done = true;
            return Poll::Ready(Some(Err(e)));
        }
        self.replies.poll_next_unpin(cx).map(|item| item.map(|r| r.map_err(|status| Error::from_status(&status))))
    }
}
