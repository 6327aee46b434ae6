pub struct Db;

#[bia::provider(scope = "request")]
fn new_db() -> Db {
    Db
}

fn main() {}
