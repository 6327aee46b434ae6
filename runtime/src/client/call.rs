//! A client call through the client's middleware chain: both clients build
//! the call's [`Context`] the same way and end the chain in their transport
//! through one [`Endpoint`].

use std::future::Future;
use std::marker::PhantomData;

use crate::codec::Message;
use crate::context::{Context, Kind, Side};
use crate::error::Error;
use crate::middleware::stream::{serve_stream_with, Again, CallInput, Sink};
use crate::middleware::{AnyMessage, BoxFuture, Chain, Endpoint};
use crate::stream::Streaming;

/// One operation of a client with a single reply, ready to send: the end of
/// its middleware chain.
pub(crate) trait Call: Send + Sync {
    /// What it sends: a message, or a stream of them.
    type Input: CallInput;

    /// The operation (`/package.Service/Method`).
    fn operation(&self) -> &'static str;

    /// The transport.
    fn kind(&self) -> Kind;

    /// Sends `req` with the request metadata of `ctx`, and leaves the reply
    /// metadata there.
    fn send<'a, Rep: Message>(
        &'a self,
        req: Self::Input,
        ctx: &'a mut Context,
    ) -> impl Future<Output = Result<Rep, Error>> + Send + 'a;
}

/// Runs `req` through `chain` (not empty) and then `call`.
pub(crate) async fn through_chain<C: Call, Rep: Message>(chain: &Chain, call: C, req: C::Input) -> Result<Rep, Error> {
    let mut ctx = Context::new(call.operation(), call.kind(), Side::Client);
    let endpoint = ClientEndpoint { call, _types: PhantomData::<fn() -> Rep> };
    chain.run_client(&mut ctx, req.into_any(), &endpoint).await
}

struct ClientEndpoint<C, Rep> {
    call: C,
    _types: PhantomData<fn() -> Rep>,
}

impl<C: Call, Rep: Message> Endpoint for ClientEndpoint<C, Rep> {
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let req = C::Input::from_any(req, self.call.operation())?;
            let rep = self.call.send::<Rep>(req, ctx).await?;
            Ok(AnyMessage::new(rep))
        })
    }
}

/// A client call with a stream of replies through `chain` (which runs until
/// the stream ends); `send` is the transport, which sends the replies it
/// reads to its sink, and runs again for each attempt a retry makes at open.
pub(crate) async fn open_stream<I, Rep, F, Fut>(
    chain: &Chain,
    operation: &'static str,
    kind: Kind,
    input: I,
    send: F,
) -> Result<Streaming<Rep>, Error>
where
    I: CallInput,
    Rep: Message,
    F: Fn(I, Sink<Rep>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), Error>> + Send + 'static,
{
    let ctx = Context::new(operation, kind, Side::Client);
    match serve_stream_with(None, chain.clone(), ctx, input, Again(send), None, None).await {
        Ok(opened) => Ok(Streaming::new(opened.stream)),
        Err((e, _)) => Err(e),
    }
}
