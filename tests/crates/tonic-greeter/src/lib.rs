//! `greeter.v1.Greeter` as tonic-build generates it, with a plain tonic
//! implementation: what a team has before it moves a service to Bia.

#![allow(clippy::all, missing_docs)]

pub mod pb {
    tonic::include_proto!("greeter.v1");
}

/// The encoded `FileDescriptorSet` of `greeter.proto` (for reflection).
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/greeter_descriptor.bin"));

use std::pin::Pin;

use pb::greeter_server::{Greeter, GreeterServer};
use pb::{HelloReply, HelloRequest, HellosRequest};
use tonic::{Request, Response, Status};

/// The implementation: a tonic service as its docs show one.
#[derive(Debug, Default)]
pub struct Hello;

type Replies = Pin<Box<dyn tonic::codegen::tokio_stream::Stream<Item = Result<HelloReply, Status>> + Send>>;

#[tonic::async_trait]
impl Greeter for Hello {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        if name.is_empty() {
            return Err(Status::invalid_argument("name is empty"));
        }
        Ok(Response::new(HelloReply { message: format!("hello {name}") }))
    }

    type SayHellosStream = Replies;

    async fn say_hellos(&self, request: Request<HellosRequest>) -> Result<Response<Replies>, Status> {
        let HellosRequest { name, count } = request.into_inner();
        let replies = (1..=count).map(move |n| Ok(HelloReply { message: format!("hello {name} #{n}") }));
        Ok(Response::new(Box::pin(tonic::codegen::tokio_stream::iter(replies)) as Replies))
    }
}

/// The generated server of [`Hello`].
pub fn server() -> GreeterServer<Hello> {
    GreeterServer::new(Hello)
}
