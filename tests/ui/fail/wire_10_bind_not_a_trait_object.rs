pub struct SqlRepo;

#[bia::provider(bind = SqlRepo)]
fn new_repo() -> SqlRepo {
    SqlRepo
}

fn main() {}
