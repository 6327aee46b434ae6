use bia::middleware::{AnyMessage, Context, Next};

struct Audit {
    calls: u64,
}

#[bia::middleware]
impl Audit {
    async fn handle(&mut self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        self.calls += 1;
        next.run(ctx, req).await
    }
}

fn main() {}
