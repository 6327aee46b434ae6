//! `multipart/form-data` request bodies: files into [`UploadedFile`] fields,
//! the other parts bound as a form's are, within limits per part and in
//! total. Parsed by multer (what axum's `Multipart` uses).

use std::convert::Infallible;

use bytes::Bytes;

use crate::codec::{codec_error, Message};
use crate::error::reason::PAYLOAD_TOO_LARGE;
use crate::error::Error;

/// A file uploaded in a `multipart/form-data` body (`curl -F photo=@me.png`):
/// a field of this type in a request whose rule is `body = "*"` receives the
/// part of its name, `Vec<UploadedFile>` every part of that name. The other
/// parts bind to the message's fields as a form's keys do. Each part is held
/// to the generated server's `max_part_size` (default 4 MiB) and the whole
/// body to its `max_body_size`, with 413 `PAYLOAD_TOO_LARGE` past them. On
/// gRPC it is an ordinary message (`bia.v1.UploadedFile`).
///
/// ```
/// use bia::transport::http::UploadedFile;
///
/// #[bia::message(package = "photos.v1")]
/// pub struct AddPhotoRequest {
///     pub album: String,
///     pub caption: String,
///     pub photo: Option<UploadedFile>,
/// }
///
/// #[bia::message(package = "photos.v1")]
/// pub struct Photo { pub album: String, pub size: i64 }
///
/// #[bia::service(package = "photos.v1")]
/// pub trait Photos: Send + Sync + 'static {
///     /// `curl -F caption=Hi -F photo=@me.png localhost:8000/v1/albums/2024/photos`
///     #[rpc(post = "/v1/albums/<album>/photos", body = "*")]
///     async fn add_photo(&self, req: AddPhotoRequest) -> bia::Result<Photo>;
/// }
/// ```
#[bia_macros::message(package = "bia.v1", crate = "crate")]
pub struct UploadedFile {
    /// The file's name as the client gave it (`filename=`), possibly empty.
    pub filename: String,
    /// The part's content type; empty when the client gave none.
    pub content_type: String,
    /// The file's bytes.
    pub data: Bytes,
}

/// Binds a `multipart/form-data` body (already read within the total limit)
/// into `msg`.
pub(super) async fn bind_multipart<M: Message>(
    msg: &mut M,
    body: Bytes,
    boundary: String,
    max_part: usize,
) -> Result<(), Error> {
    // The fields' types and numbers, from the message's schema (the
    // generated field list has names only): paid by uploads alone.
    let mut b = crate::schema::SchemaBuilder::default();
    M::describe(&mut b);
    let schema = b.build();
    let fields = schema.message(M::FULL_NAME).map(|m| m.fields.as_slice()).unwrap_or_default();
    let limits = multer::SizeLimit::new().per_field(max_part as u64);
    let stream = futures_util::stream::once(async move { Ok::<Bytes, Infallible>(body) });
    let mut parts =
        multer::Multipart::with_constraints(stream, boundary, multer::Constraints::new().size_limit(limits));
    while let Some(part) = parts.next_field().await.map_err(|e| multipart_error(e, max_part))? {
        let Some(name) = part.name().map(str::to_owned) else { continue };
        let filename = part.file_name().map(str::to_owned);
        let content_type = part.content_type().map(ToString::to_string).unwrap_or_default();
        let data = part.bytes().await.map_err(|e| multipart_error(e, max_part))?;
        let file_field = fields.iter().find(|f| f.name == name && f.ty.type_name == Some(UploadedFile::FULL_NAME));
        if let Some(field) = file_field {
            // The file as the field's value (one more for a repeated field):
            // framed with its number and merged, as protobuf concatenates.
            let file = UploadedFile { filename: filename.unwrap_or_default(), content_type, data };
            let bytes = prost::Message::encode_to_vec(&file);
            let mut framed = Vec::with_capacity(bytes.len() + 10);
            prost::encoding::encode_key(field.number, prost::encoding::WireType::LengthDelimited, &mut framed);
            prost::encoding::encode_varint(bytes.len() as u64, &mut framed);
            framed.extend_from_slice(&bytes);
            msg.merge(framed.as_slice()).map_err(|e| codec_error(&name, format!("the part `{name}`: {e}")))?;
            continue;
        }
        if filename.is_some() {
            return Err(codec_error(
                &name,
                format!("the part `{name}` is a file, but `{name}` is no UploadedFile field"),
            ));
        }
        let text = std::str::from_utf8(&data)
            .map_err(|_| codec_error(&name, format!("the part `{name}` is not UTF-8 text")))?;
        // As a form's keys: a part that names no field is skipped.
        msg.bind_param(&name, text).map_err(|e| codec_error(&name, format!("invalid part `{name}`: {e}")))?;
    }
    Ok(())
}

fn multipart_error(e: multer::Error, max_part: usize) -> Error {
    match e {
        multer::Error::FieldSizeExceeded { field_name, .. } => {
            let name = field_name.unwrap_or_default();
            Error::payload_too_large(PAYLOAD_TOO_LARGE, format!("the part `{name}` is larger than {max_part} bytes"))
                .with_metadata("field", name)
        }
        other => codec_error("", format!("invalid multipart/form-data body: {other}")),
    }
}
