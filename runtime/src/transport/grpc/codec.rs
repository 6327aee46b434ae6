//! Protobuf on the wire: the server codec, which turns bad request bytes
//! into `InvalidArgument` with reason `CODEC` and the field named (not
//! tonic's `Internal`), and the client codec. Both read and write messages
//! with less work than tonic-prost's (see [`LeanEncoder`] and
//! [`decode_message`]).

use std::marker::PhantomData;

use bytes::Buf;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::codec::Message;
use crate::error::reason::CODEC;
use crate::error::Error;

/// A codec of Bia messages: [`LeanEncoder`] for what is sent, `Dec` for
/// what is received (its error form is the side's: [`ServerCodec`],
/// `ClientCodec`).
#[derive(Debug)]
pub struct MessageCodec<E, Dec>(PhantomData<fn() -> (E, Dec)>);

impl<E, Dec> Default for MessageCodec<E, Dec> {
    fn default() -> Self {
        Self(PhantomData)
    }
}

impl<E, Dec> Codec for MessageCodec<E, Dec>
where
    E: Message,
    Dec: Decoder<Error = Status> + Default + Send + 'static,
    Dec::Item: Send + 'static,
{
    type Encode = E;
    type Decode = Dec::Item;
    type Encoder = LeanEncoder<E>;
    type Decoder = Dec;

    fn encoder(&mut self) -> Self::Encoder {
        LeanEncoder(PhantomData)
    }
    fn decoder(&mut self) -> Self::Decoder {
        Dec::default()
    }
}

/// The server-side codec: prost encoding, and bad request bytes become
/// `InvalidArgument` with reason `CODEC` and the field named, not `Internal`.
pub type ServerCodec<E, D> = MessageCodec<E, ServerDecoder<D>>;

/// The client-side codec: tonic-prost's (a reply that does not decode is
/// `Internal` with prost's text, as the gRPC status code guide says), with
/// the cheaper reading and writing of [`ServerCodec`].
pub(crate) type ClientCodec<E, D> = MessageCodec<E, ClientDecoder<D>>;

/// Decoder half of `ClientCodec`.
#[derive(Debug, Default)]
pub(crate) struct ClientDecoder<D>(PhantomData<fn() -> D>);

impl<D: Message> Decoder for ClientDecoder<D> {
    type Item = D;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        decode_message(buf).map(Some).map_err(|e| Status::internal(e.to_string()))
    }
}

/// The encoder of both codecs: tonic-prost's, without its check of the
/// buffer's room.
///
/// prost's `Message::encode` first adds up the message's encoded length to
/// refuse a buffer without room for it; tonic's buffer grows as it is
/// written (a `BytesMut`: its room is all of `usize`), so that check cannot
/// fail and its sum is work thrown away on every reply (about 20
/// instructions for a small message). The fields are written by the
/// message's own `encode_raw`, which Bia's generated `prost::Message`
/// implementations provide.
#[derive(Debug)]
pub struct LeanEncoder<E>(PhantomData<fn(E)>);

impl<E: Message> Encoder for LeanEncoder<E> {
    type Item = E;
    type Error = Status;

    #[inline]
    fn encode(&mut self, item: E, buf: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode_raw(buf);
        Ok(())
    }

    fn buffer_settings(&self) -> BufferSettings {
        BufferSettings::default()
    }
}

/// Decoder half of [`ServerCodec`].
#[derive(Debug, Default)]
pub struct ServerDecoder<D>(PhantomData<fn() -> D>);

impl<D: Message> Decoder for ServerDecoder<D> {
    type Item = D;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<D>, Status> {
        decode_message(buf).map(Some).map_err(|e| decode_status::<D>(&e))
    }
}

/// One message of a gRPC body, all of `buf`.
///
/// A message is one contiguous run of tonic's buffer. Read from a slice,
/// each of prost's steps (a key, a number, a length) moves a pointer; read
/// through the `DecodeBuf`, each one also updates the `BytesMut` under it
/// (about 30 instructions a field). A large message is read through the
/// `DecodeBuf` still: its `Bytes` fields then share the buffer instead of
/// being copied.
#[inline]
fn decode_message<D: Message>(buf: &mut DecodeBuf<'_>) -> Result<D, prost::DecodeError> {
    let len = buf.remaining();
    let chunk = buf.chunk();
    if len > SLICE_DECODE_MAX || chunk.len() != len {
        return D::decode(buf);
    }
    let res = D::decode(chunk);
    buf.advance(len);
    res
}

/// The largest message read from a slice (see [`decode_message`]).
const SLICE_DECODE_MAX: usize = 16 * 1024;

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
