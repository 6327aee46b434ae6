pub struct Db;
pub struct Repo;

#[bia::provider]
fn new_db() -> Db {
    Db
}

#[bia::provider]
fn new_repo(db: &mut Db) -> Repo {
    let _ = db;
    Repo
}

fn main() {}
