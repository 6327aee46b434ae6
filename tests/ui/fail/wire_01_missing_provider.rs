pub struct Db;
pub struct Repo(std::sync::Arc<Db>);

#[bia::provider]
fn new_repo(db: std::sync::Arc<Db>) -> Repo {
    Repo(db)
}

fn main() {}
