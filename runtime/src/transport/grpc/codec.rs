//! Protobuf on the wire: the server codec, which turns bad request bytes
//! into `InvalidArgument` with reason `CODEC` and the field named (not
//! tonic's `Internal`).

use std::marker::PhantomData;

use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::Status;

use crate::codec::Message;
use crate::error::reason::CODEC;
use crate::error::Error;

/// The server-side codec: prost encoding, and bad request bytes become
/// `InvalidArgument` with reason `CODEC` and the field named, not `Internal`.
#[derive(Debug)]
pub struct ServerCodec<E, D>(PhantomData<fn() -> (E, D)>);

impl<E, D> Default for ServerCodec<E, D> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<E: Message, D: Message> Codec for ServerCodec<E, D> {
    type Encode = E;
    type Decode = D;
    type Encoder = tonic_prost::ProstEncoder<E>;
    type Decoder = ServerDecoder<D>;

    fn encoder(&mut self) -> Self::Encoder {
        tonic_prost::ProstEncoder::new(BufferSettings::default())
    }
    fn decoder(&mut self) -> Self::Decoder {
        ServerDecoder(PhantomData)
    }
}

/// Decoder half of [`ServerCodec`].
#[derive(Debug)]
pub struct ServerDecoder<D>(PhantomData<fn() -> D>);

impl<D: Message> Decoder for ServerDecoder<D> {
    type Item = D;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        D::decode(buf).map(Some).map_err(|e| decode_status::<D>(&e))
    }
}

/// The status of a bad message, out of the decoder's path (which it would
/// otherwise grow past what the compiler inlines into it).
#[cold]
#[inline(never)]
fn decode_status<D: Message>(e: &prost::DecodeError) -> Status {
    decode_error::<D>(e).to_status()
}

/// A bad-protobuf error naming the field, from prost's `Message.field: ...` text.
fn decode_error<D: Message>(e: &prost::DecodeError) -> Error {
    let text = e.to_string();
    let detail = text.strip_prefix("failed to decode Protobuf message: ").unwrap_or(&text);
    let mut err = Error::bad_request(CODEC, format!("invalid {} message: {detail}", D::FULL_NAME));
    // prost lists the innermost field first: `Inner.field: Outer.inner: description`.
    let fields: Vec<&str> = detail
        .split(": ")
        .take_while(|s| s.contains('.') && !s.contains(' '))
        .filter_map(|s| s.split_once('.').map(|(_, f)| f))
        .collect();
    if !fields.is_empty() {
        let path: Vec<&str> = fields.into_iter().rev().collect();
        err = err.with_metadata("field", path.join("."));
    }
    err
}
