#[bia::message(package = "ui.v1")]
pub struct CancelRequest {
    pub id: String,
}

#[bia::message(package = "ui.v1")]
pub struct Operation {
    pub id: String,
}

#[bia::service(package = "ui.v1")]
pub trait Operations: Send + Sync + 'static {
    #[rpc(post = "/v1/users:batch/get")]
    async fn cancel(&self, req: CancelRequest) -> bia::Result<Operation>;
}

fn main() {}
