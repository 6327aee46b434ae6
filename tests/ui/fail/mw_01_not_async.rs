use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    let _ = (ctx, req, next);
    Err(bia::Error::internal_server("X", "y"))
}

fn main() {}
