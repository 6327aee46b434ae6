pub trait UserRepo: Send + Sync {}
pub struct SqlRepo;

#[bia::provider(bind = dyn UserRepo)]
fn new_repo() -> SqlRepo {
    SqlRepo
}

fn main() {}
