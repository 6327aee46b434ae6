use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) {
    let _ = next.run(ctx, req).await;
}

fn main() {}
