use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware(order = 1)]
async fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    next.run(ctx, req).await
}

fn main() {}
