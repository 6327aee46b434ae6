#[bia::middleware]
struct Audit;

fn main() {}
