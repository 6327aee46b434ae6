use bia::stream::Streaming;

#[bia::message(package = "ui.v1")]
pub struct Chunk {
    pub name: String,
    pub data: Vec<u8>,
}

#[bia::message(package = "ui.v1")]
pub struct Stored {
    pub size: i64,
}

#[bia::service(package = "ui.v1")]
pub trait Files: Send + Sync + 'static {
    // The field an upload's chunks fill must be an `HttpBody`.
    #[rpc(put = "/v1/files/<name>", body = "data")]
    async fn upload(&self, req: Streaming<Chunk>) -> bia::Result<Stored>;
}

fn main() {}
