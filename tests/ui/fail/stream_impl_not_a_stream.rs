#[bia::message(package = "ui.v1")]
pub struct Tick {
    pub n: i64,
}

#[bia::service(package = "ui.v1")]
pub trait Ticks: Send + Sync + 'static {
    async fn watch(&self, req: Tick) -> bia::Result<impl Iterator<Item = Tick>>;
}

fn main() {}
