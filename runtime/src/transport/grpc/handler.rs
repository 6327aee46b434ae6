//! One call over gRPC, as generated servers serve it: decode, run the
//! middleware and the handler, encode the reply or the error status.

use std::convert::Infallible;
use std::future::Future;

use tonic::body::Body;
use tonic::codec::EnabledCompressionEncodings;
use tonic::server::{Grpc, UnaryService};
use tonic::{Code, Status};

use super::codec::ServerCodec;
use super::BoxFuture;
use crate::codec::Message;
use crate::context::Context;
use crate::error::reason::PAYLOAD_TOO_LARGE;
use crate::error::Error;
use crate::middleware::{self, Chain, ServerChain};

#[derive(Debug, Clone, Default)]
#[doc(hidden)]
pub struct CallConfig {
    pub accept_compression: EnabledCompressionEncodings,
    pub send_compression: EnabledCompressionEncodings,
    pub max_decoding_message_size: Option<usize>,
    pub max_encoding_message_size: Option<usize>,
    /// The service's own middleware (inside the server-wide ones).
    pub chain: Chain,
}

struct Once<F> {
    handler: Option<F>,
    operation: &'static str,
    chain: Chain,
}

impl<Req, Rep, F, Fut> UnaryService<Req> for Once<F>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
{
    type Response = Rep;
    type Future = BoxFuture<tonic::Response<Rep>, Status>;

    fn call(&mut self, request: tonic::Request<Req>) -> Self::Future {
        let Some(f) = self.handler.take() else {
            return Box::pin(async { Err(Status::internal("unary handler called twice")) });
        };
        let chain = std::mem::take(&mut self.chain);
        // The context is made here, before the future, so the future holds
        // the metadata once.
        let (metadata, mut extensions, msg) = request.into_parts();
        let outer = extensions.remove::<ServerChain>().map(|c| c.0);
        let mut ctx = Context::grpc_server(self.operation, metadata.into_headers(), extensions);
        Box::pin(async move {
            let res = middleware::serve(outer, &chain, &mut ctx, msg, f).await;
            let reply = ctx.take_reply();
            match res {
                Ok(rep) => {
                    let mut res = tonic::Response::new(rep);
                    if !reply.is_empty() {
                        *res.metadata_mut() = tonic::metadata::MetadataMap::from_headers(reply);
                    }
                    Ok(res)
                }
                Err(e) => {
                    let mut status = e.to_status();
                    if !reply.is_empty() {
                        status.metadata_mut().as_mut().extend(reply);
                    }
                    Err(status)
                }
            }
        })
    }
}

/// Serves one unary call: decode, run the middleware and `handler`, encode
/// (generated code calls this).
#[doc(hidden)]
pub fn unary<Req, Rep, F, Fut, B>(
    cfg: &CallConfig,
    operation: &'static str,
    req: http::Request<B>,
    handler: F,
) -> BoxFuture<http::Response<Body>, Infallible>
where
    Req: Message,
    Rep: Message,
    F: FnOnce(Req) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Rep, Error>> + Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    let cfg = cfg.clone();
    Box::pin(async move {
        let mut grpc = Grpc::new(ServerCodec::<Rep, Req>::default())
            .apply_compression_config(cfg.accept_compression, cfg.send_compression)
            .apply_max_message_size_config(cfg.max_decoding_message_size, cfg.max_encoding_message_size);
        let once = Once { handler: Some(handler), operation, chain: cfg.chain };
        let res = grpc.unary(once, req).await;
        Ok(map_size_error(res))
    })
}

/// tonic reports a request over the size limit as `OutOfRange` (in a
/// trailers-only response, before the handler runs); Bia's error model says
/// 413 / `ResourceExhausted`, reason `PAYLOAD_TOO_LARGE`. Nothing else
/// answers `OutOfRange` here: no Bia error maps to it (see
/// [`grpc_code_of`](crate::error::grpc_code_of)), so the code alone tells.
fn map_size_error(res: http::Response<Body>) -> http::Response<Body> {
    let out_of_range =
        res.headers().get("grpc-status").is_some_and(|v| Code::from_bytes(v.as_bytes()) == Code::OutOfRange);
    if !out_of_range {
        return res;
    }
    let message = Status::from_header_map(res.headers()).map(|s| s.message().to_owned()).unwrap_or_default();
    Error::payload_too_large(PAYLOAD_TOO_LARGE, message).to_status().into_http()
}

/// The `Unimplemented` reply for an unknown method (generated code calls this).
#[doc(hidden)]
pub fn unimplemented() -> BoxFuture<http::Response<Body>, Infallible> {
    Box::pin(async move {
        let status = Status::unimplemented("unknown method");
        Ok(status.into_http())
    })
}
