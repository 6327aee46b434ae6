pub struct Db(&'static str);

#[bia::provider]
fn new_db() -> Db {
    Db("primary")
}

#[bia::provider]
fn new_other_db() -> Db {
    Db("replica")
}

fn main() {}
