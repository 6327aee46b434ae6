pub struct Db;
pub struct Cache;

#[bia::provider]
fn new_both() -> (Db, Cache) {
    (Db, Cache)
}

fn main() {}
