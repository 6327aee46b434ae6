use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit(ctx: &mut Context, req: AnyMessage) -> bia::Result<AnyMessage> {
    let _ = ctx;
    Ok(req)
}

fn main() {}
