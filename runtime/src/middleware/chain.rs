//! The chain: an ordered list of middleware ([`Chain`]), the rest of it as
//! one middleware sees it ([`Next`]), and how a server call and a client
//! call run through it to their [`Endpoint`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};

use super::stream::CallInput;
use super::{AnyMessage, BoxFuture, Middleware};
use crate::codec::Message;
use crate::context::Context;
use crate::error::reason::MIDDLEWARE;
use crate::error::Error;

/// The end of a chain: the handler on a server, the transport on a client.
pub(crate) trait Endpoint: Send + Sync {
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>>;
}

/// The rest of the chain after the running middleware.
///
/// `Copy`: a client middleware may run it more than once (retry).
#[derive(Clone, Copy)]
pub struct Next<'a> {
    outer: &'a [Arc<dyn Middleware>],
    inner: &'a [Arc<dyn Middleware>],
    endpoint: &'a (dyn Endpoint + 'a),
}

impl fmt::Debug for Next<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next").field("remaining", &(self.outer.len() + self.inner.len())).finish()
    }
}

impl<'a> Next<'a> {
    /// The whole chain (`outer`, then `inner`) before `endpoint`.
    pub(crate) fn new(
        outer: &'a [Arc<dyn Middleware>],
        inner: &'a [Arc<dyn Middleware>],
        endpoint: &'a (dyn Endpoint + 'a),
    ) -> Self {
        Self { outer, inner, endpoint }
    }

    /// Runs the rest of the chain and the handler (server) or the transport
    /// (client).
    pub fn run(self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        if let Some((first, outer)) = self.outer.split_first() {
            first.handle(ctx, req, Next { outer, ..self })
        } else if let Some((first, inner)) = self.inner.split_first() {
            first.handle(ctx, req, Next { inner, ..self })
        } else {
            self.endpoint.call(ctx, req)
        }
    }
}

/// An ordered list of middleware (cheap to clone; empty costs nothing).
///
/// ```
/// use bia::middleware::{AnyMessage, Chain, Context, Next};
///
/// #[bia::middleware]
/// async fn a(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
///     next.run(ctx, req).await
/// }
///
/// let chain = Chain::new().with(a()).with(a());
/// assert_eq!(chain.len(), 2);
/// assert!(Chain::new().is_empty());
/// ```
#[derive(Clone, Default)]
pub struct Chain(Option<Arc<[Arc<dyn Middleware>]>>);

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Chain").field("len", &self.len()).finish()
    }
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self(None)
    }

    /// Appends `m` (it runs inside the ones already there).
    #[must_use]
    pub fn with(mut self, m: impl Middleware) -> Self {
        self.push(Arc::new(m));
        self
    }

    /// Appends a shared middleware.
    pub fn push(&mut self, m: Arc<dyn Middleware>) {
        let mut all: Vec<Arc<dyn Middleware>> = self.as_slice().to_vec();
        all.push(m);
        self.0 = Some(all.into());
    }

    /// Puts every middleware of `outer` before (outside) this chain's.
    pub(crate) fn prepend(&mut self, outer: &Chain) {
        if !outer.is_empty() {
            let mut all = outer.clone();
            all.extend(self);
            *self = all;
        }
    }

    /// Appends every middleware of `other`.
    pub fn extend(&mut self, other: &Chain) {
        for m in other.as_slice() {
            self.push(m.clone());
        }
    }

    /// How many middleware.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// `true` when there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn as_slice(&self) -> &[Arc<dyn Middleware>] {
        self.0.as_deref().unwrap_or(&[])
    }

    /// Runs `req` through this chain to `endpoint`.
    pub(crate) fn run<'a>(
        &'a self,
        ctx: &'a mut Context,
        req: AnyMessage,
        endpoint: &'a (dyn Endpoint + 'a),
    ) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Next { outer: self.as_slice(), inner: &[], endpoint }.run(ctx, req)
    }

    /// Runs `req` through this chain to `endpoint` (a client call).
    pub(crate) async fn run_client<Rep: Message>(
        &self,
        ctx: &mut Context,
        req: AnyMessage,
        endpoint: &(dyn Endpoint + '_),
    ) -> Result<Rep, Error> {
        let rep = self.run(ctx, req, endpoint).await?;
        downcast_reply(ctx, rep)
    }
}

/// The server-wide chain, handed to generated handlers in the request
/// extensions (only when it is not empty).
#[derive(Clone, Debug)]
pub(crate) struct ServerChain(pub(crate) Chain);

/// Serves one call: `outer` (server-wide) and `inner` (the service's) chains,
/// then `handler` with `ctx` as the current context. With both chains empty,
/// the handler runs directly (no boxed future, no erased message, no
/// allocation).
pub(crate) async fn serve<I, Rep, F, Fut>(
    outer: Option<Chain>,
    inner: &Chain,
    ctx: &mut Context,
    req: I,
    handler: F,
) -> Result<Rep, Error>
where
    I: CallInput,
    Rep: Message,
    F: FnOnce(I) -> Fut + Send,
    Fut: Future<Output = Result<Rep, Error>> + Send,
{
    match outer {
        None if inner.is_empty() => crate::context::scope(ctx, handler(req)).await,
        // Boxed, so the state of the call without middleware (above) does
        // not carry room for the chain's.
        outer => {
            Box::pin(async move {
                let outer = outer.unwrap_or_default();
                let endpoint = Handler { f: Mutex::new(Some(handler)), _types: PhantomData::<fn(I) -> Rep> };
                let next = Next { outer: outer.as_slice(), inner: inner.as_slice(), endpoint: &endpoint };
                let rep = next.run(ctx, req.into_any()).await?;
                downcast_reply(ctx, rep)
            })
            .await
        }
    }
}

fn downcast_reply<Rep: Message>(ctx: &Context, rep: AnyMessage) -> Result<Rep, Error> {
    rep.downcast::<Rep>().map_err(|other| {
        Error::internal_server(
            MIDDLEWARE,
            format!(
                "a middleware replaced the reply of {} ({}) with a {}",
                ctx.operation(),
                Rep::FULL_NAME,
                other.type_name()
            ),
        )
    })
}

struct Handler<F, I, Rep> {
    f: Mutex<Option<F>>,
    _types: PhantomData<fn(I) -> Rep>,
}

/// The handler, the one time the chain may run it.
pub(super) fn take_handler<F>(slot: &Mutex<Option<F>>, ctx: &Context) -> Result<F, Error> {
    slot.lock().map(|mut g| g.take()).unwrap_or(None).ok_or_else(|| {
        Error::internal_server(MIDDLEWARE, format!("a middleware called the handler of {} twice", ctx.operation()))
    })
}

impl<I, Rep, F, Fut> Endpoint for Handler<F, I, Rep>
where
    I: CallInput,
    Rep: Message,
    F: FnOnce(I) -> Fut + Send,
    Fut: Future<Output = Result<Rep, Error>> + Send,
{
    fn call<'a>(&'a self, ctx: &'a mut Context, req: AnyMessage) -> BoxFuture<'a, Result<AnyMessage, Error>> {
        Box::pin(async move {
            let f = take_handler(&self.f, ctx)?;
            let req = I::from_any(req, ctx.operation())?;
            let rep = crate::context::scope(ctx, f(req)).await?;
            Ok(AnyMessage::new(rep))
        })
    }
}
