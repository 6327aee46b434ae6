use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit<T: Default>(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    next.run(ctx, req).await
}

fn main() {}
