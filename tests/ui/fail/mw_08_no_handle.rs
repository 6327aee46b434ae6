use bia::middleware::{AnyMessage, Context, Next};

struct Audit;

#[bia::middleware]
impl Audit {
    async fn call(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        next.run(ctx, req).await
    }
}

fn main() {}
