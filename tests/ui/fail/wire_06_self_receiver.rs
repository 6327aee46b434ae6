pub struct Db;

impl Db {
    #[bia::provider]
    fn connect(&self) -> Db {
        Db
    }
}

fn main() {}
