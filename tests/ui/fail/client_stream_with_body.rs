use bia::stream::Streaming;

#[bia::message(package = "ui.v1")]
pub struct Tick {
    pub n: i64,
}

#[bia::service(package = "ui.v1")]
pub trait Ticks: Send + Sync + 'static {
    // A client stream with a body rule is an upload of `HttpBody` chunks.
    #[rpc(post = "/v1/sum", body = "*")]
    async fn sum(&self, req: Streaming<Tick>) -> bia::Result<Tick>;
}

fn main() {}
