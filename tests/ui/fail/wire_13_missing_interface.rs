use std::sync::Arc;

pub trait UserRepo: Send + Sync {}
pub struct UseCase(Arc<dyn UserRepo>);

#[bia::provider]
fn new_use_case(repo: Arc<dyn UserRepo>) -> UseCase {
    UseCase(repo)
}

fn main() {}
