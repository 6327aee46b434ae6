//! A client call through the client's middleware chain: both clients build
//! the call's [`Context`] the same way and end the chain in their transport
//! through one [`Endpoint`].

use std::future::Future;
use std::marker::PhantomData;

use crate::codec::Message;
use crate::context::{Context, Kind, Side};
use crate::error::reason::MIDDLEWARE;
use crate::error::Error;
use crate::middleware::{AnyMessage, BoxFuture, Chain, Endpoint};

/// One operation of a client, ready to send: the end of its middleware chain.
pub(crate) trait Call: Send + Sync {
    /// The operation (`/package.Service/Method`).
    fn operation(&self) -> &'static str;

    /// The transport.
    fn kind(&self) -> Kind;

    /// Sends `req` with the request metadata of `ctx`, and leaves the reply
    /// metadata there.
    fn send<'a, Req: Message, Rep: Message>(
        &'a self,
        req: Req,
        ctx: &'a mut Context,
    ) -> impl Future<Output = Result<Rep, Error>> + Send + 'a;
}

/// Runs `req` through `chain` (not empty) and then `call`.
pub(crate) async fn through_chain<C: Call, Req: Message, Rep: Message>(
    chain: &Chain,
    call: C,
    req: Req,
) -> Result<Rep, Error> {
    let mut ctx = Context::new(call.operation(), call.kind(), Side::Client);
    let endpoint = ClientEndpoint { call, _types: PhantomData::<fn(Req) -> Rep> };
    chain.run_client(&mut ctx, AnyMessage::new(req), &endpoint).await
}

struct ClientEndpoint<C, Req, Rep> {
    call: C,
    _types: PhantomData<fn(Req) -> Rep>,
}

impl<C: Call, Req: Message, Rep: Message> Endpoint for ClientEndpoint<C, Req, Rep> {
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let req = req.downcast::<Req>().map_err(|other| {
                Error::internal_server(
                    MIDDLEWARE,
                    format!(
                        "a client middleware replaced the request of {} with a {}",
                        self.call.operation(),
                        other.type_name()
                    ),
                )
            })?;
            let rep = self.call.send::<Req, Rep>(req, ctx).await?;
            Ok(AnyMessage::new(rep))
        })
    }
}
