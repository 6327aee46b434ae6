use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit(ctx: &mut Context, req: String, next: Next<'_>) -> bia::Result<AnyMessage> {
    let _ = (ctx, req, next);
    Err(bia::Error::internal_server("X", "y"))
}

fn main() {}
