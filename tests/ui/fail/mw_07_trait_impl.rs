use bia::middleware::{AnyMessage, Context, Next};

struct Audit;

#[bia::middleware]
impl Clone for Audit {
    fn clone(&self) -> Self {
        Audit
    }
}

fn main() {}
