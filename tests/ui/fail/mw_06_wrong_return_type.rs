use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<String> {
    next.run(ctx, req).await?;
    Ok(String::new())
}

fn main() {}
