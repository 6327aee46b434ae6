pub struct Db;

impl Db {
    #[bia::provider]
    pub fn new() -> Db {
        Db
    }
}

fn main() {}
