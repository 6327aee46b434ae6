use bia::middleware::{AnyMessage, Context, Next};

struct Audit;

#[bia::middleware]
impl Audit {
    fn handle(&self, ctx: &mut Context, req: AnyMessage, next: Next<'_>) -> bia::Result<AnyMessage> {
        let _ = (ctx, req, next);
        Err(bia::Error::internal_server("X", "y"))
    }
}

fn main() {}
