#[bia::provider]
pub struct Db;

fn main() {}
