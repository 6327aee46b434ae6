#[bia::provider]
fn init_logging() {}

fn main() {}
