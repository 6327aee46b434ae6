use bia::stream::Streaming;

#[bia::message(package = "ui.v1")]
pub struct Tick {
    pub n: i64,
}

#[bia::service(package = "ui.v1")]
pub trait Ticks: Send + Sync + 'static {
    #[rpc(get = "/v1/sum/<n>")]
    async fn sum(&self, req: Streaming<Tick>) -> bia::Result<Tick>;
}

fn main() {}
