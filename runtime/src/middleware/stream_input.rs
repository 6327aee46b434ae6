//! What a streaming call's handler takes: one message, or a stream of them
//! carried through the chain as an [`AnyMessage`].

use std::sync::{Arc, Mutex, PoisonError};

use super::any::Inspector;
use super::{AnyMessage, MessageRef, RawPart};
use crate::codec::Message;
use crate::context::StreamStats;
use crate::error::reason::MIDDLEWARE;
use crate::error::Error;
use crate::stream::{StreamExt as _, Streaming};

/// The `type_name` of the request of a client-streaming or bidirectional
/// call.
pub(crate) const STREAM_REQUEST: &str = "bia.StreamRequest";

/// The request of a client-streaming or bidirectional call inside an
/// [`AnyMessage`]: the stream itself, until the handler takes it.
struct StreamRequest<T>(Mutex<Option<Streaming<T>>>);

impl<T: Message> RawPart for StreamRequest<T> {
    const NAME: &'static str = STREAM_REQUEST;
    const STREAM: bool = true;
    fn describe(&self) -> String {
        "<stream>".to_owned()
    }
    fn inspect(&mut self, inspect: Inspector) -> bool {
        let slot = self.0.get_mut().unwrap_or_else(PoisonError::into_inner);
        let Some(stream) = slot.take() else { return false };
        *slot = Some(Streaming::new(stream.map(move |item| {
            let msg = item?;
            inspect(MessageRef::new(&msg))?;
            Ok(msg)
        })));
        true
    }
}

/// What a handler takes: one message, or a stream of them. The chain carries
/// either as an [`AnyMessage`].
pub(crate) trait CallInput: Send + Sized + 'static {
    fn into_any(self) -> AnyMessage;
    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error>;
}

impl<M: Message> CallInput for M {
    fn into_any(self) -> AnyMessage {
        AnyMessage::new(self)
    }

    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error> {
        any.downcast::<M>().map_err(|other| replaced(operation, M::FULL_NAME, other.type_name()))
    }
}

impl<T: Message> CallInput for Streaming<T> {
    fn into_any(self) -> AnyMessage {
        AnyMessage::raw(StreamRequest(Mutex::new(Some(self))))
    }

    fn from_any(any: AnyMessage, operation: &str) -> Result<Self, Error> {
        let request = any
            .downcast::<StreamRequest<T>>()
            .map_err(|other| replaced(operation, STREAM_REQUEST, other.type_name()))?;
        request
            .0
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
            .ok_or_else(|| Error::internal_server(MIDDLEWARE, format!("the request stream of {operation} was taken")))
    }
}

fn replaced(operation: &str, expected: &str, found: &str) -> Error {
    Error::internal_server(
        MIDDLEWARE,
        format!("a middleware replaced the request of {operation} ({expected}) with a {found}"),
    )
}

/// The request stream of a call, counted for middleware (received on a
/// server, sent on a client).
pub(crate) fn counted<T: Message>(stream: Streaming<T>, stats: Option<Arc<StreamStats>>, server: bool) -> Streaming<T> {
    match stats {
        None => stream,
        Some(stats) => Streaming::new(stream.inspect(move |item| match (item, server) {
            (Err(_), _) => {}
            (Ok(_), true) => stats.add_received(),
            (Ok(_), false) => stats.add_sent(),
        })),
    }
}
