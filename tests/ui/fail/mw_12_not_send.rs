use bia::middleware::{AnyMessage, Context, Next};

#[bia::middleware]
async fn audit(ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
    let not_send = std::rc::Rc::new(1);
    let reply = next.run(ctx, req).await;
    drop(not_send);
    reply
}

fn main() {}
